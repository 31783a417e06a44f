// hotplate's browser runtime: the entry point injected into every HTML document.
//
// It opens one connection to the hub (server-sent events at /__hotplate/events) and applies
// each message of the wire protocol (DESIGN.md, "Wire protocol"):
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

const source = new EventSource('/__hotplate/events');
let boot = null;

// For tools and tests: `window.__hotplate.boot` is set once the hub has said hello.
const state = (globalThis.__hotplate = { boot: null });

function on(type, handle) {
  source.addEventListener(type, (event) => {
    // EventSource also fires a plain `error` event when the connection drops; only messages
    // from the hub carry data.
    if (!(event instanceof MessageEvent)) return;
    handle(JSON.parse(event.data));
  });
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
