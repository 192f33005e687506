"""An echo server on Python websockets' asyncio API (what Autobahn's fuzzingclient
is pointed at): every message sent back as it came, permessage-deflate as the
library negotiates it by default, a 64 MiB message limit for 9.x."""

import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main(port):
    async with serve(echo, "127.0.0.1", port, max_size=2**26, max_queue=None):
        await asyncio.get_running_loop().create_future()


asyncio.run(main(int(sys.argv[1])))
