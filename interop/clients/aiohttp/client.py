"""A fuzzingserver driver on aiohttp's client: count the cases, run each echoing every message,
update the reports. aiohttp answers Close frames itself. Two settings differ from the defaults:
- compress=15 offers permessage-deflate (aiohttp's client offers nothing by default), so 12.x
  and 13.x run;
- every connection is closed after use (force_close). With pooled connections aiohttp 3.14.5
  puts the connection of an answer it refused (a 101 without Upgrade or Connection, C.2.3 and
  C.2.5) back in its pool and writes its next request on it, as if the connection were still
  HTTP; wirecheck then sees "GET" as a frame with the reserved opcode 0x7 and the next case
  never starts. Closing every connection keeps each case on its own.
    python client.py URL AGENT"""
import asyncio
import sys

import aiohttp


async def visit(session, url, echo=False):
    texts = []
    try:
        async with session.ws_connect(url, max_msg_size=64 << 20, compress=15) as ws:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    if echo:
                        await ws.send_str(msg.data)
                    else:
                        texts.append(msg.data)
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    if echo:
                        await ws.send_bytes(msg.data)
                else:
                    break
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
        pass
    return texts


async def main(base, agent):
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        count = int((await visit(session, base + "/getCaseCount"))[0])
        for i in range(1, count + 1):
            await visit(session, "%s/runCase?case=%d&agent=%s" % (base, i, agent), echo=True)
        await visit(session, "%s/updateReports?agent=%s" % (base, agent))


asyncio.run(main(sys.argv[1], sys.argv[2]))
