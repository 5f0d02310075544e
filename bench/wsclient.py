"""Many websocket clients in one process, for the fan-out measurement (no Django here).

Run by ``bench.run`` as ``python -m bench.wsclient URL[,URL…] ORIGIN`` with a JSON list of
session keys on the first line of stdin; with several URLs (web nodes) client ``i`` connects to
``URL[i % n]``. Each client connects with its session cookie, says hello (the
project's protocol: ``{"type": "hello", "last_id": 0}``) and waits for ``sync``. When all are
synced the process prints ``READY <n>``; from then on it notes the wall-clock time at which each
live ``notification`` arrives, until ``STOP`` is read on stdin, and prints one JSON line:
``{"received": [[client, notification id, unix time], ...], "failed": n}``.

It is a separate process so that the clients' event loop does not share a GIL with the code
that commits and pushes: what is measured is the server's delivery, not the client's queueing.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import websockets

CONNECT_CONCURRENCY = 50
SYNC_TIMEOUT = 60


async def client(index: int, url: str, origin: str, session: str, state: dict) -> None:
    headers = {"Cookie": f"sessionid={session}"}
    async with state["gate"]:
        try:
            ws = await websockets.connect(url, origin=origin, additional_headers=headers, open_timeout=30)
        except Exception as exc:  # a refused or failed handshake is counted, not fatal
            state["failed"] += 1
            state["errors"].append(f"{type(exc).__name__}: {exc}")
            state["synced"].release()
            return
        try:
            await ws.send(json.dumps({"type": "hello", "last_id": 0}))
            while json.loads(await ws.recv()).get("type") != "sync":
                pass
        except websockets.ConnectionClosed as exc:
            state["failed"] += 1
            state["errors"].append(f"closed before sync: {exc}")
            state["synced"].release()
            return
    state["synced"].release()
    try:
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "notification":
                state["received"].append([index, message["notification"]["id"], time.time()])
    except websockets.ConnectionClosed:
        pass


async def main(url: str, origin: str) -> None:
    sessions = json.loads(sys.stdin.readline())
    state = {
        "gate": asyncio.Semaphore(CONNECT_CONCURRENCY),
        "synced": asyncio.Semaphore(0),
        "received": [],
        "failed": 0,
        "errors": [],
    }
    urls = url.split(",")
    tasks = [asyncio.create_task(client(i, urls[i % len(urls)], origin, s, state)) for i, s in enumerate(sessions)]
    for _ in sessions:
        await asyncio.wait_for(state["synced"].acquire(), SYNC_TIMEOUT)
    print(f"READY {len(sessions) - state['failed']}", flush=True)
    loop = asyncio.get_running_loop()
    while (await loop.run_in_executor(None, sys.stdin.readline)).strip() not in ("STOP", ""):
        pass
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"received": state["received"], "failed": state["failed"], "errors": state["errors"][:5]}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
