// hotplate's browser runtime: the entry point injected into every HTML document.
//
// It listens to the hub (server-sent events at /__hotplate/events) through the SharedWorker in
// worker.js, so that a browser holds one connection however many tabs it has; without
// SharedWorker it opens its own EventSource. It applies each message of the wire protocol
// (docs/architecture.md, "Wire protocol"):
//   hello        remember the server's boot; a different boot after a reconnect means reload
//   update       swap stylesheets in place (css.js) and re-import modules at their
//                boundaries (hot.js), in the order given
//   prune        run the dispose, then prune, callbacks of modules that are gone (hot.js)
//   asset        re-request changed images (assets.js)
//   reload       reload, when no routes are named or this page's path is one of them
//   html         reload the routes named (until the DOM morph lands)
//   error        show the error overlay (overlay.js)
//   error-clear  remove it
//   change       re-dispatched on window as the `hotplate:change` event
//   custom       passed to `import.meta.hot.on(event)` listeners, and re-dispatched on window
//                as `hotplate:<event>`
//
// Messages that change modules are applied one at a time, in the order they came.

import { swapStylesheet } from './css.js';
import { showError, clearError } from './overlay.js';
import { applyUpdate, prunePaths, notifyListeners } from './hot.js';
import { refreshAssets } from './assets.js';

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

// One update at a time: each waits for the one before it.
let queue = Promise.resolve();
function enqueue(task) {
  queue = queue.then(task).catch((error) => console.error('[hotplate]', error));
}

// Whether the overlay shows an update this page failed to apply (rather than a server error).
let updateFailed = false;

// A module script of this page that failed to load (say, it imports a file that does not
// exist yet) never ran, so it registered no `import.meta.hot` callbacks: a module update is
// applied by reloading instead.
let scriptFailed = false;
addEventListener(
  'error',
  (event) => {
    if (event.target instanceof HTMLScriptElement) scriptFailed = true;
  },
  true,
);

function reload() {
  notifyListeners('vite:beforeFullReload', {});
  location.reload();
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
  for (const type of ['hello', 'update', 'prune', 'html', 'asset', 'reload', 'error', 'error-clear', 'custom', 'change']) {
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
    reload();
    return;
  }
  boot = hello.boot;
  state.boot = boot;
});

on('update', (payload) =>
  enqueue(async () => {
    if (scriptFailed && payload.updates.some((update) => update.type === 'js')) {
      reload();
      return;
    }
    notifyListeners('vite:beforeUpdate', payload);
    for (const update of payload.updates) {
      if (update.type === 'css') {
        swapStylesheet(update.path, update.timestamp);
        continue;
      }
      try {
        if (await applyUpdate(update)) {
          console.debug(`[hotplate] hot updated ${update.acceptedPath}`);
          if (updateFailed) clearError();
          updateFailed = false;
        }
      } catch (error) {
        console.error(error);
        updateFailed = true;
        showError({
          message: `Failed to reload ${update.acceptedPath}: ${error.message}`,
          file: update.acceptedPath,
          frame: String(error.stack || ''),
        });
        notifyListeners('vite:error', { err: { message: error.message, stack: error.stack } });
      }
    }
    notifyListeners('vite:afterUpdate', payload);
  }),
);

on('prune', ({ paths }) => enqueue(() => prunePaths(paths)));

on('asset', ({ paths, timestamp }) => refreshAssets(paths, timestamp));

on('reload', ({ routes }) => {
  if (showsRoute(routes)) reload();
});

on('html', ({ routes }) => {
  if (showsRoute(routes)) reload();
});

on('error', (report) => {
  updateFailed = false;
  notifyListeners('vite:error', { err: report });
  showError(report);
});
on('error-clear', () => clearError());

on('change', (detail) => {
  window.dispatchEvent(new CustomEvent('hotplate:change', { detail }));
});

on('custom', ({ event, data }) => {
  notifyListeners(event, data);
  window.dispatchEvent(new CustomEvent(`hotplate:${event}`, { detail: data }));
});

// Connect once the page has loaded, so that starting the worker never competes with the
// page's own requests.
if (document.readyState === 'complete') connect();
else addEventListener('load', connect, { once: true });
