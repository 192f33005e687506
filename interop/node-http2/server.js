// Node's own http2 module on cleartext (h2c, prior knowledge only), with RFC 8441's extended
// CONNECT announced (SETTINGS_ENABLE_CONNECT_PROTOCOL = 1):
//   /        a CONNECT with :protocol websocket is answered 200 and the stream handed to ws,
//            which runs the WebSocket framing on it as on a socket (setSocket, an internal API
//            of ws 8.x): an echo, every message sent back with its type; a 64 MiB message limit
//            for 9.x, the other limits ws's WebSocketServer defaults. Any other :protocol is
//            answered 501.
//   /events  an SSE stream: "retry: 2000" first, then one event every 250 ms with an increasing
//            numeric id, counted from 1 on each stream; a reconnect resumes after the
//            Last-Event-ID it sends, as an application that replays from a log would.
const http2 = require('node:http2');
const { WebSocket } = require('ws');

function websocket(stream, headers) {
  if (headers[':protocol'] !== 'websocket') {
    stream.respond({ ':status': 501 }, { endStream: true });
    return;
  }
  if (headers[':path'] !== '/') {
    stream.respond({ ':status': 404 }, { endStream: true });
    return;
  }
  if (headers['sec-websocket-version'] !== '13') {
    stream.respond({ ':status': 400, 'sec-websocket-version': '13' }, { endStream: true });
    return;
  }
  stream.respond({ ':status': 200 });
  // The options WebSocketServer would pass (its defaults): without them a bare WebSocket does
  // not answer pings and destroys its socket at once after sending a Close.
  const ws = new WebSocket(null, undefined, {
    autoPong: true,
    maxPendingAutoPongs: 60,
    closeTimeout: 30000,
  });
  ws.setSocket(stream, Buffer.alloc(0), {
    allowSynchronousEvents: true,
    maxBufferedChunks: 256 * 1024,
    maxFragments: 16 * 1024,
    maxPayload: 64 << 20,
    skipUTF8Validation: false,
  });
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
}

function events(stream, headers) {
  const last = String(headers['last-event-id'] || '').trim();
  let n = /^[0-9]{1,15}$/.test(last) ? Number(last) + 1 : 1;
  stream.respond({
    ':status': 200,
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
  });
  stream.write('retry: 2000\n\n');
  const tick = () => {
    stream.write(`id: ${n}\ndata: event ${n}\n\n`);
    n += 1;
  };
  tick();
  const timer = setInterval(tick, 250);
  stream.on('close', () => clearInterval(timer));
}

const server = http2.createServer({ settings: { enableConnectProtocol: true } });
server.on('stream', (stream, headers) => {
  stream.on('error', () => {});
  const method = headers[':method'];
  if (method === 'CONNECT') {
    websocket(stream, headers);
  } else if (method === 'GET' && headers[':path'] === '/events') {
    events(stream, headers);
  } else {
    stream.respond({ ':status': 404 }, { endStream: true });
  }
});
server.on('sessionError', () => {});
server.listen(+process.argv[2], '127.0.0.1');
