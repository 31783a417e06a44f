// The one hub connection of a browser, shared by all of its tabs.
//
// Browsers allow about six HTTP/1.1 connections per origin, and every event stream holds one
// open for good: with a stream per tab, the seventh tab could not even load its page. So tabs
// connect to this SharedWorker instead, which holds the only EventSource and relays each
// message to every tab as `{ type, data }` (data is the message's JSON text, unparsed).

import { listen } from './protocol.js';

const ports = new Set();
// Replayed to a tab that connects later, so it learns the boot at once.
let hello = null;

listen(new EventSource('/__hotplate/events'), (type, data) => {
  if (type === 'hello') hello = data;
  for (const port of ports) port.postMessage({ type, data });
});

self.onconnect = (event) => {
  const port = event.ports[0];
  ports.add(port);
  port.onmessage = (message) => {
    if (message.data === 'bye') ports.delete(port);
  };
  port.start();
  if (hello !== null) port.postMessage({ type: 'hello', data: hello });
};
