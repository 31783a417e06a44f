// The one hub connection of a browser, shared by all of its tabs.
//
// Browsers allow about six HTTP/1.1 connections per origin, and every event stream holds one
// open for good: with a stream per tab, the seventh tab could not even load its page. So tabs
// connect to this SharedWorker instead, which holds the only EventSource and relays each
// message to every tab as `{ type, data, at }` (data is the message's JSON text, unparsed; at,
// when the worker got it, in ms since the epoch, for the tab's `hotplate:worker-hop` measure).
//
// No tab misses a message. Each tab joins with the hub's newest id when its page was served
// (`since`), and gets every message after it exactly once:
// - the worker keeps the recent messages it received, and replays those a late tab missed;
// - a tab served before the worker's stream began (all tabs reloaded at once, and the worker
//   started again) makes the worker reopen its stream from that tab's id: the hub replays, and
//   each tab is sent only what is newer than what it already has.

import { listen, parseId, streamUrl } from './protocol.js';

const KEEP = 256; // as many as the hub keeps

const ports = new Map(); // port -> the seq of the last numbered message it has
const recent = []; // [{ seq, type, data }], the numbered messages received, oldest first
let source = null;
let from = null; // the stream gives every message after this seq
let boot = null;
let hello = null; // replayed to a tab that joins later, so it learns the boot at once

function open(since) {
  source?.close();
  source = new EventSource(streamUrl(since));
  from = parseId(since)?.seq ?? null;
  listen(source, receive);
}

function receive(type, data, id) {
  const at = performance.timeOrigin + performance.now();
  const parsed = parseId(id);
  if (type === 'hello') {
    hello = data;
    boot = JSON.parse(data).boot;
  }
  // `hello` and un-numbered messages (a reload for a lagging stream) carry no id of their own.
  const seq = type === 'hello' || !parsed || parsed.boot !== boot ? null : parsed.seq;
  if (seq !== null) {
    if (from === null) from = seq - 1;
    if (recent.length && seq <= recent[recent.length - 1].seq) return relay(type, data, seq, at);
    recent.push({ seq, type, data });
    if (recent.length > KEEP) recent.shift();
  }
  relay(type, data, seq, at);
}

function relay(type, data, seq, at) {
  for (const [port, last] of ports) {
    if (seq === null) port.postMessage({ type, data, at });
    else if (seq > last) {
      port.postMessage({ type, data, at });
      ports.set(port, seq);
    }
  }
}

function join(port, since) {
  const served = parseId(since);
  // Without `since`: what comes from now on.
  ports.set(port, served?.seq ?? recent.at(-1)?.seq ?? from ?? 0);
  if (source === null) {
    open(since);
    return;
  }
  if (hello !== null) port.postMessage({ type: 'hello', data: hello });
  if (!served) return;
  if (boot !== null && served.boot !== boot) {
    port.postMessage({ type: 'reload', data: JSON.stringify({ reason: 'the server restarted' }) });
    return;
  }
  const oldest = recent.length ? recent[0].seq - 1 : from;
  if (from === null || oldest === null || served.seq < Math.max(from, oldest)) {
    open(since); // the hub replays; every tab takes only what is new to it
    return;
  }
  for (const { seq, type, data } of recent) {
    if (seq > served.seq) {
      port.postMessage({ type, data });
      ports.set(port, seq);
    }
  }
}

self.onconnect = (event) => {
  const port = event.ports[0];
  port.onmessage = (message) => {
    if (message.data === 'bye') ports.delete(port);
    else if (message.data && 'since' in message.data) join(port, message.data.since);
  };
  port.start();
};
