// hotplate's browser runtime: the entry point injected into every HTML document.
//
// It listens to the hub (server-sent events at /__hotplate/events) through the SharedWorker in
// worker.js, so that a browser holds one connection however many tabs it has; without
// SharedWorker it opens its own EventSource. It applies each message of the wire protocol
// (docs/architecture.md, "Wire protocol"):
//   hello        remember the server's boot; a different boot after a reconnect means reload
//   update       swap stylesheets in place (css.js)
//   reload       reload, when no routes are named or this page's path is one of them
//   html         reload the routes named (until the DOM morph lands)
//   error        show the error overlay (overlay.js)
//   error-clear  remove it
//   change       re-dispatched on window as the `hotplate:change` event
//   custom       re-dispatched on window as `hotplate:<event>`

import { swapStylesheet } from './css.js';
import { showError, clearError } from './overlay.js';

const handlers = new Map();
let boot = null;

// For tools and tests: `window.__hotplate.boot` is set once the hub has said hello.
const state = (globalThis.__hotplate = { boot: null });

function on(type, handle) {
  handlers.set(type, handle);
}

function dispatch(type, data) {
  const handle = handlers.get(type);
  if (handle) handle(JSON.parse(data));
}

function connect() {
  if (typeof SharedWorker === 'function') {
    try {
      const worker = new SharedWorker(new URL('./worker.js', import.meta.url), { name: 'hotplate' });
      worker.port.onmessage = (event) => dispatch(event.data.type, event.data.data);
      worker.port.start();
      addEventListener('pagehide', () => worker.port.postMessage('bye'));
      state.transport = 'shared-worker';
      return;
    } catch (error) {
      console.warn('[hotplate] no SharedWorker, connecting from this tab', error);
    }
  }
  const source = new EventSource('/__hotplate/events');
  for (const type of ['hello', 'update', 'html', 'asset', 'reload', 'error', 'error-clear', 'custom', 'change']) {
    source.addEventListener(type, (event) => {
      // A dropped connection fires a plain `error` event without data: not a hub message.
      if (event instanceof MessageEvent) dispatch(type, event.data);
    });
  }
  state.transport = 'event-source';
}

function showsRoute(routes) {
  return !routes || routes.includes(location.pathname);
}

on('hello', (hello) => {
  if (boot !== null && hello.boot !== boot) {
    location.reload();
    return;
  }
  boot = hello.boot;
  state.boot = boot;
});

on('update', ({ updates }) => {
  for (const update of updates) {
    if (update.type === 'css') {
      swapStylesheet(update.path, update.timestamp);
    } else {
      location.reload();
    }
  }
});

on('reload', ({ routes }) => {
  if (showsRoute(routes)) location.reload();
});

on('html', ({ routes }) => {
  if (showsRoute(routes)) location.reload();
});

on('error', (report) => showError(report));
on('error-clear', () => clearError());

on('change', (detail) => {
  window.dispatchEvent(new CustomEvent('hotplate:change', { detail }));
});

on('custom', ({ event, data }) => {
  window.dispatchEvent(new CustomEvent(`hotplate:${event}`, { detail: data }));
});

// Connect once the page has loaded, so that starting the worker never competes with the
// page's own requests.
if (document.readyState === 'complete') connect();
else addEventListener('load', connect, { once: true });
