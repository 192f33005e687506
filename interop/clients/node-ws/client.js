// A fuzzingserver driver on ws: count the cases, run each echoing every message, update reports.
//   node client.js URL AGENT
const WebSocket = require('ws');
const [base, agent] = process.argv.slice(2);
const visit = (path, onMessage) => new Promise((done) => {
  const ws = new WebSocket(base + path, { maxPayload: 64 << 20 });
  ws.on('message', (data, isBinary) => onMessage && onMessage(ws, data, isBinary));
  ws.on('close', done);
  ws.on('error', () => {});
});
(async () => {
  let count = 0;
  await visit('/getCaseCount', (_, data) => { count = parseInt(data.toString(), 10); });
  for (let i = 1; i <= count; i++) {
    await visit(`/runCase?case=${i}&agent=${agent}`, (ws, data, isBinary) => ws.send(data, { binary: isBinary }));
  }
  await visit(`/updateReports?agent=${agent}`);
})();
