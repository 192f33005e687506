// The Node `eventsource` package under `wirecheck clients sse`: the adapter is the one the
// fuzzing server serves ({url}/adapter.js), run with this package as the global EventSource.
//   node adapter.mjs URL
import { EventSource } from 'eventsource';

globalThis.EventSource = EventSource;
const base = process.argv[2];
const code = await (await fetch(`${base}/adapter.js`)).text();
await new Function(`${code}; return wirecheckAdapter;`)()(base);
