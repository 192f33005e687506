"""A fuzzingserver driver on websockets' threading client, with its defaults (permessage-deflate
offered): count the cases, run each echoing every message, update the reports.
    python client.py URL AGENT"""
import sys

from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

base, agent = sys.argv[1], sys.argv[2]


def visit(path, echo=False):
    texts = []
    try:
        with connect(base + path, max_size=64 << 20, open_timeout=10) as ws:
            for message in ws:
                if echo:
                    ws.send(message)
                elif isinstance(message, str):
                    texts.append(message)
    except (WebSocketException, OSError):
        pass
    return texts


count = int(visit("/getCaseCount")[0])
for i in range(1, count + 1):
    visit("/runCase?case=%d&agent=%s" % (i, agent), echo=True)
visit("/updateReports?agent=%s" % agent)
