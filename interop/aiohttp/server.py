"""An echo server on aiohttp's web server (what Autobahn's fuzzingclient is
pointed at): permessage-deflate as aiohttp negotiates it by default, every text
and binary message sent back as it came, a 64 MiB message limit for 9.x."""

import sys

from aiohttp import WSMsgType, web


async def echo(request):
    ws = web.WebSocketResponse(autoping=True, max_msg_size=2**26)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


app = web.Application()
app.router.add_get("/", echo)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
