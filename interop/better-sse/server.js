// An SSE endpoint as better-sse's README writes one: a session per request on Node's http
// module, one event a second pushed with JSON data (better-sse serializes with JSON.stringify,
// adds ids and sends keep-alive comments by itself).
const http = require('node:http');
const { createSession } = require('better-sse');

let n = 0;
http
  .createServer(async (req, res) => {
    if (!req.url.startsWith('/events')) {
      res.writeHead(404).end();
      return;
    }
    const session = await createSession(req, res);
    const timer = setInterval(() => session.push({ n: ++n }), 1000);
    session.on('disconnected', () => clearInterval(timer));
  })
  .listen(+process.argv[2], '127.0.0.1');
