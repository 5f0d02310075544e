"""How `make bench` reports the machine's load and the scale-out figures (bench/run.py)."""

from __future__ import annotations

from bench import run


def test_a_run_with_a_load_above_twice_the_cores_is_marked_busy():
    assert run.busy([4.1, 1.0], 2)
    assert run.busy([0.5, 4.5], 2)
    assert not run.busy([3.9, 4.0], 2)


def test_pgbouncer_takes_the_place_of_the_port_in_the_database_url():
    assert run._with_port("postgres://postgres@127.0.0.1:5432/ctmtqg_bench", 6432) == (
        "postgres://postgres@127.0.0.1:6432/ctmtqg_bench"
    )
    assert run._with_port("postgres://127.0.0.1/b", 7000) == "postgres://127.0.0.1:7000/b"


def test_the_scale_out_figures_are_printed_side_by_side_and_missing_parts_say_so():
    results = {
        "transitions": {"per_second": 41.2, "p95_ms": 310.0},
        "websocket": {"p95_ms": 220.0, "received": 1500, "expected": 1500},
        "rollups": {"national": {"p50_ms": 180.0}, "province": {"p50_ms": 40.0}},
        "scale_out": {
            "pgbouncer": {"available": True, "transitions": {"per_second": 39.0, "p95_ms": 330.0}},
            "two_nodes": {
                "available": True,
                "transitions": {"per_second": 44.0, "p95_ms": 300.0},
                "websocket": {"p95_ms": 250.0, "received": 1500, "expected": 1500, "received_per_node": [750, 750]},
            },
            "replica": {"available": False, "reason": "replication refused"},
        },
    }
    lines = run.scale_out_table(results).splitlines()
    assert lines[0].split() == ["figure", "1", "node,", "direct", "PgBouncer", "2", "nodes", "replica"]
    transitions = next(line for line in lines if line.startswith("transitions/s"))
    assert transitions.split()[-4:] == ["41.2", "39.0", "44.0", "-"]
    received = next(line for line in lines if line.startswith("websocket received"))
    assert "1500/1500 (per node [750, 750])" in received
    national = next(line for line in lines if line.startswith("roll-up national"))
    assert national.split()[-1] == "n/a"


def test_other_work_is_the_cpu_spent_outside_the_run_and_its_services():
    """A process the runner does not wait for is other work; the same process, once the runner
    has reaped it (as it reaps its servers and workers), is the run's own."""
    import subprocess
    import sys
    import time

    spin = "import time\nt = time.time()\nwhile time.time() - t < 1.5: pass"
    start = run.CpuSample.take()
    child = subprocess.Popen([sys.executable, "-c", spin])
    time.sleep(1.7)  # it has finished spinning, but is not reaped yet
    assert run.other_work_cores(start, run.CpuSample.take()) > run.OTHER_WORK_LIMIT
    child.wait()
    assert run.other_work_cores(start, run.CpuSample.take()) < run.OTHER_WORK_LIMIT
