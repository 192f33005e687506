// An echo server on ws with permessage-deflate on (what Autobahn's fuzzingclient is pointed at):
// every message sent back as it came, text as text; a 64 MiB message limit for 9.x.
const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: +process.argv[2],
  perMessageDeflate: true,
  maxPayload: 64 << 20,
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
