"""One plain ASGI application (no framework) served by hypercorn on cleartext, where hypercorn
speaks HTTP/1.1 and HTTP/2 with prior knowledge on the same port, and WebSockets both by the
HTTP/1.1 Upgrade and by RFC 8441's extended CONNECT over HTTP/2:

  /        a WebSocket echo: every text and binary message sent back as it came, with its type
           (a 64 MiB message limit for 9.x)
  /events  an SSE stream: "retry: 2000" first, then one event every 250 ms with an increasing
           numeric id, counted from 1 on each connection; a reconnect resumes after the
           Last-Event-ID it sends, as an application that replays from a log would."""

import asyncio
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config


async def lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def echo(receive, send):
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})


async def events(scope, receive, send):
    last = dict(scope["headers"]).get(b"last-event-id", b"").strip()
    # bytes.isdigit() is ASCII digits only; a long one is not an id this server gave.
    n = int(last) + 1 if last.isdigit() and len(last) <= 18 else 1
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": b"retry: 2000\n\n", "more_body": True})

    async def until_disconnect():
        while (await receive())["type"] != "http.disconnect":
            pass

    gone = asyncio.ensure_future(until_disconnect())
    try:
        while not gone.done():
            body = b"id: %d\ndata: event %d\n\n" % (n, n)
            await send({"type": "http.response.body", "body": body, "more_body": True})
            n += 1
            await asyncio.wait([gone], timeout=0.25)
    finally:
        gone.cancel()


async def not_found(scope, receive, send):
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.close"})  # before the accept: hypercorn answers 403
        return
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    elif scope["type"] == "websocket" and scope["path"] == "/":
        await echo(receive, send)
    elif scope["type"] == "http" and scope["path"] == "/events" and scope["method"] == "GET":
        await events(scope, receive, send)
    else:
        await not_found(scope, receive, send)


config = Config()
config.bind = ["127.0.0.1:%d" % int(sys.argv[1])]
config.websocket_max_message_size = 64 << 20
asyncio.run(serve(app, config))
