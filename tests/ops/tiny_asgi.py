"""The smallest ASGI application that reads the whole request body, then answers 200 "ok": what
tests/ops/test_slow_clients.py runs uvicorn with, to see uvicorn's own limits and not Django's."""


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})
