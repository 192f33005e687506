"""An SSE endpoint as sse-starlette's README writes one: an async generator of
events (an id and JSON data, one a second) wrapped in EventSourceResponse, which
adds its own heartbeat comments (every 15 s by default). Served by uvicorn.

Ids count from 1 on each connection, and a reconnect resumes after the
Last-Event-ID it sends, as an application that replays from a log would."""

import asyncio
import json

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.routing import Route


async def events(request):
    last = request.headers.get("last-event-id", "")
    first = int(last) + 1 if last.isdigit() else 1

    async def stream():
        n = first
        while True:
            yield {"id": str(n), "data": json.dumps({"n": n})}
            n += 1
            await asyncio.sleep(1)

    return EventSourceResponse(stream())


app = Starlette(routes=[Route("/events", events)])
