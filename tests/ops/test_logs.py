"""The JSON log line and the request-id filter."""

from __future__ import annotations

import json
import logging

from ops.context import request_id_var
from ops.logs import JSONFormatter, RequestIDFilter


def _record(message: str = "plan %s submitted", *args, **extra) -> logging.LogRecord:
    record = logging.LogRecord("workflows.services", logging.INFO, __file__, 10, message, args or (7,), None)
    record.__dict__.update(extra)
    return record


def test_a_record_becomes_one_json_object_with_its_extra_fields():
    record = _record(plan_id=7, actor="t2-c03388-ubnd-head")
    RequestIDFilter().filter(record)
    line = JSONFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "plan 7 submitted"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "workflows.services"
    assert (entry["plan_id"], entry["actor"]) == (7, "t2-c03388-ubnd-head")
    assert entry["request_id"] == "-"
    assert entry["time"].endswith("+00:00")


def test_the_filter_stamps_the_current_request_id():
    token = request_id_var.set("req-filter-0001")
    try:
        record = _record()
        RequestIDFilter().filter(record)
    finally:
        request_id_var.reset(token)
    assert record.request_id == "req-filter-0001"


def test_vietnamese_text_and_tracebacks_survive():
    try:
        raise ValueError("Kế hoạch không hợp lệ")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "Lỗi: %s", ("xã Sin Suối Hồ",), sys.exc_info())
    entry = json.loads(JSONFormatter().format(record))
    assert entry["message"] == "Lỗi: xã Sin Suối Hồ"
    assert "ValueError: Kế hoạch không hợp lệ" in entry["exc_info"]


def test_values_json_cannot_encode_are_written_as_text():
    import datetime as dt
    from decimal import Decimal

    entry = json.loads(JSONFormatter().format(_record(amount=Decimal("162756.000"), on=dt.date(2025, 12, 5))))
    assert (entry["amount"], entry["on"]) == ("162756.000", "2025-12-05")
