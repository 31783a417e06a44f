// hotplate's browser runtime: the entry point injected into every HTML document.
//
// It listens to the hub (server-sent events at /__hotplate/events) through the SharedWorker in
// worker.js, so that a browser holds one connection however many tabs it has; without
// SharedWorker it opens its own EventSource. It applies each message of the wire protocol
// (docs/architecture.md, "Wire protocol"):
//   hello        remember the server's boot; a different boot after a reconnect means reload
//   update       update stylesheets in place (css.js: with the rules the message brings, or
//                by fetching them) and re-import modules at their
//                boundaries (hot.js), in the order given
//   prune        run the dispose, then prune, callbacks of modules that are gone (hot.js)
//   asset        re-request changed images (assets.js)
//   reload       reload, when no routes are named or this page's path is one of them
//   html         when this page shows one of the routes named (a pattern such as
//                /blog/:slug matches any one segment): apply the patch the message brings
//                for it, when it starts from the render this page shows (no request); else
//                fetch this page again with the
//                x-hotplate-refresh header and morph the document into it (morph.js); a
//                page that is gone (404) reloads to show it, and an error (5xx) leaves
//                the page as it is: the overlay says why (hotplate's own render errors come
//                as `error` messages; another server's error page is shown in the overlay).
//                A page shown while the backend was down reloads instead; the answer to a
//                POST shows a notice instead. An answer that brings the page as it shows it
//                (a backend that caches its templates for a moment) is asked for again
//   error        show the error overlay (overlay.js)
//   error-clear  remove it
//   change       re-dispatched on window as the `hotplate:change` event
//   custom       passed to `import.meta.hot.on(event)` listeners, and re-dispatched on window
//                as `hotplate:<event>`
//   disconnect   not from the hub: the connection dropped (it reconnects by itself)
//
// Listeners of Vite's events get Vite's payloads: `vite:beforeUpdate`/`vite:afterUpdate` see
// `{type: 'update', updates: [{type: 'js-update' | 'css-update', path, acceptedPath, ...}]}`.
//
// Messages that change modules are applied one at a time, in the order they came.

import { updateStylesheet } from './css.js';
import { showError, clearError, showNotice } from './overlay.js';
import { applyUpdate, prunePaths, notifyListeners } from './hot.js';
import { refreshAssets } from './assets.js';
import { markApplied, markReceived } from './marks.js';
import {
  ERROR_MESSAGE_ID,
  POSTED_META,
  REFRESH_HEADER,
  RENDER_META,
  SINCE_META,
  SOURCE_HEADER,
  SOURCE_META,
  WAITING_ATTRIBUTE,
  listen,
  streamUrl,
} from './protocol.js';
import { morphDocument, patchDocument, rememberServed, watchAttributes } from './morph.js';

const handlers = new Map();
let boot = null;

// For tools and tests: `window.__hotplate.boot` is set once the hub has said hello.
// `morphs` counts the morphs applied, `patches` those of them that came in the message.
const state = (globalThis.__hotplate = { boot: null, morphs: 0, patches: 0 });

rememberServed();
watchAttributes();

function on(type, handle) {
  handlers.set(type, handle);
}

function dispatch(type, data, relayedAt) {
  const handle = handlers.get(type);
  if (!handle) return;
  const payload = JSON.parse(data);
  markReceived(type, data.length, relayedAt, payload?.timing);
  handle(payload);
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

function reload(triggeredBy) {
  notifyListeners('vite:beforeFullReload', { type: 'full-reload', path: '*', triggeredBy });
  location.reload();
}

// An `update` message as Vite's listeners see it (`vite:beforeUpdate`, `vite:afterUpdate`).
function viteUpdate(payload) {
  return {
    type: 'update',
    updates: payload.updates.map((update) => ({
      type: update.type === 'css' ? 'css-update' : 'js-update',
      path: update.path,
      acceptedPath: update.acceptedPath,
      timestamp: update.timestamp,
      explicitImportRequired: false,
      isWithinCircularImport: false,
      ...(update.firstInvalidatedBy ? { firstInvalidatedBy: update.firstInvalidatedBy } : {}),
    })),
  };
}

// An overlay report as Vite's `vite:error` listeners see it.
function viteError(report) {
  return {
    type: 'error',
    err: {
      message: report.message,
      stack: report.stack ?? '',
      id: report.file ?? undefined,
      frame: report.frame ?? '',
      plugin: 'hotplate',
      loc: report.file ? { file: report.file, line: report.line, column: report.column } : undefined,
    },
  };
}

// The hub's newest message id when this page was served: the connection resumes from there,
// so an update sent while the page loaded (before it connects) still arrives.
const since = document.querySelector(`meta[name="${SINCE_META}"]`)?.content ?? '';

function connect() {
  if (typeof SharedWorker === 'function') {
    try {
      const worker = new SharedWorker(new URL('./worker.js', import.meta.url), {
        name: 'hotplate',
        type: 'module',
      });
      worker.port.onmessage = (event) => dispatch(event.data.type, event.data.data, event.data.at);
      worker.port.start();
      worker.port.postMessage({ since });
      addEventListener('pagehide', () => worker.port.postMessage('bye'));
      state.transport = 'shared-worker';
      return;
    } catch (error) {
      console.warn('[hotplate] no SharedWorker, connecting from this tab', error);
    }
  }
  listen(new EventSource(streamUrl(since)), dispatch);
  state.transport = 'event-source';
}

// Whether the route or pattern `route` is this page's path.
function isThisPage(route) {
  const trim = (path) => (path.length > 1 ? path.replace(/\/+$/, '') : path);
  const want = trim(route).split('/');
  const have = trim(location.pathname).split('/');
  return (
    want.length === have.length &&
    want.every((segment, i) => segment === have[i] || (segment.startsWith(':') && have[i] !== ''))
  );
}

// Whether a message naming `routes` (none: every page) is for this page.
function showsRoute(routes) {
  return !routes || routes.some(isThisPage);
}

on('hello', (hello) => {
  if (boot !== null && hello.boot !== boot) {
    reload();
    return;
  }
  boot = hello.boot;
  state.boot = boot;
  // Vite's events name its WebSocket; hotplate's connection is an event stream, shared.
  notifyListeners('vite:ws:connect', { webSocket: null });
});

on('disconnect', () => notifyListeners('vite:ws:disconnect', { webSocket: null }));

on('update', (payload) =>
  enqueue(async () => {
    if (scriptFailed && payload.updates.some((update) => update.type === 'js')) {
      reload();
      return;
    }
    const vitePayload = viteUpdate(payload);
    notifyListeners('vite:beforeUpdate', vitePayload);
    for (const update of payload.updates) {
      if (update.type === 'css') {
        if (updateStylesheet(update.path, update.timestamp, update.rules) > 0) {
          markApplied('css', update.path);
        }
        continue;
      }
      try {
        if (await applyUpdate(update)) {
          markApplied('js', update.acceptedPath);
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
        notifyListeners('vite:error', viteError({ message: error.message, stack: error.stack }));
      }
    }
    notifyListeners('vite:afterUpdate', vitePayload);
  }),
);

on('prune', ({ paths }) => enqueue(() => prunePaths(paths)));

on('asset', ({ paths, timestamp }) => refreshAssets(paths, timestamp));

on('reload', ({ routes, reason }) => {
  if (showsRoute(routes)) reload(reason);
});

// The status of what this page shows: a page that turns into a 404 reloads, but the site's own
// 404 page morphs like any other.
let shownStatus = performance.getEntriesByType('navigation')[0]?.responseStatus || 200;

// A page that answers its refresh with an error (a backend's template error, a crash in a
// handler) keeps its DOM and what the user typed; the overlay shows what the server said, until
// a refresh succeeds. hotplate's own render errors reach the overlay as `error` messages, with
// file and line: their error page is left to them.
let serverErrorShown = false;

function clearServerError() {
  if (!serverErrorShown) return;
  serverErrorShown = false;
  clearError();
}

function showServerError(response, text) {
  if (text.includes(`id="${ERROR_MESSAGE_ID}"`)) return;
  const page = new DOMParser().parseFromString(text, 'text/html');
  page.querySelectorAll('script, style, template').forEach((node) => node.remove());
  const said = (page.body?.textContent || text).replace(/[ \t]+/g, ' ').replace(/\n\s*\n+/g, '\n').trim();
  serverErrorShown = true;
  showError({
    message: `${location.pathname} answered ${response.status} ${response.statusText}` +
      (page.title ? `: ${page.title.trim()}` : ''),
    file: location.pathname,
    frame: said.slice(0, 4000),
  });
}

// A backend's or an app's document carries a fingerprint of the HTML it made (its
// anti-forgery tokens left out): the page's own in a meta tag, each refresh's in a header.
let shownSource = document.querySelector(`meta[name="${SOURCE_META}"]`)?.content ?? null;

// A backend that caches its templates until its own reloader looks (Django's polls once a
// second) answers the refresh that follows a save with the page as it was. Such an answer is
// asked for again after these pauses, until it brings something new, another save arrives
// (`htmlMessages` moves on), or they run out.
const UNCHANGED_RETRIES_MS = [50, 100, 200, 400, 800];
let htmlMessages = 0;

async function fetchRefresh() {
  return fetch(location.href, {
    headers: { [REFRESH_HEADER]: '1' },
    cache: 'no-store',
  });
}

async function refresh() {
  const asked = htmlMessages;
  let response = await fetchRefresh();
  for (const pause of UNCHANGED_RETRIES_MS) {
    const source = response.headers.get(SOURCE_HEADER);
    if (!response.ok || source === null || source !== shownSource) break;
    await new Promise((resolve) => setTimeout(resolve, pause));
    if (htmlMessages !== asked) return; // a newer save: its refresh is queued
    response = await fetchRefresh();
  }
  shownSource = response.headers.get(SOURCE_HEADER) ?? shownSource;
  if (response.status === 404 && shownStatus !== 404) {
    reload();
    return;
  }
  if (response.status >= 500) {
    showServerError(response, await response.text());
    return;
  }
  clearServerError();
  shownStatus = response.status;
  const next = new DOMParser().parseFromString(await response.text(), 'text/html');
  await morphDocument(next);
  markApplied('morph');
  shownRender = next.querySelector(`meta[name="${RENDER_META}"]`)?.content ?? null;
  state.render = shownRender;
  morphed();
}

function morphed() {
  state.morphs += 1;
  window.dispatchEvent(new CustomEvent('hotplate:morph'));
}

// The stamp of the render this page shows: a patch that starts from it applies here.
let shownRender = document.querySelector(`meta[name="${RENDER_META}"]`)?.content ?? null;
state.render = shownRender;

// Applies the pushed patch for this page when it starts from what the page shows; false when
// the page must be fetched instead.
function applyPatch(patch) {
  if (!patch || shownRender === null || patch.from !== shownRender) return false;
  if (!patchDocument(patch.ops)) return false;
  markApplied('patch');
  shownRender = patch.to;
  // A backend's page: its stamp is also the fingerprint a refresh compares.
  if (shownSource !== null) shownSource = patch.to;
  clearServerError();
  state.patches += 1;
  state.render = shownRender;
  morphed();
  return true;
}

// Saves in quick succession need one refresh each only until it starts: one that is queued
// and not yet fetching will fetch the newest render anyway.
let refreshQueued = false;

// A page hotplate showed while a backend was down reloads once it answers: its real page has
// never run. The answer to a form's POST is not fetched again: a GET of its URL would show
// another page (and sending the form again could repeat what it did), so it says why.
const waiting = document.documentElement.hasAttribute(WAITING_ATTRIBUTE);
const posted = document.querySelector(`meta[name="${POSTED_META}"]`) !== null;

on('html', ({ routes, patches }) => {
  if (!showsRoute(routes)) return;
  htmlMessages += 1;
  if (waiting) {
    reload('the backend answers');
    return;
  }
  if (posted) {
    console.info('[hotplate] this page answers a form (POST), so it was not refreshed');
    showNotice(
      'hotplate: this page changed, but it is the answer to a form, so it was not fetched ' +
        'again (that could send the form twice). Reload or navigate to see the change.',
    );
    return;
  }
  if (refreshQueued) return;
  // A patch names the URL it was made for: with its query for a backend's page.
  const here = location.pathname + location.search;
  const patch =
    patches?.find((p) => p.route === here) ??
    patches?.find((p) => !p.route.includes('?') && isThisPage(p.route));
  refreshQueued = true;
  enqueue(() => {
    refreshQueued = false;
    if (applyPatch(patch)) return undefined;
    return refresh();
  });
});

on('error', (report) => {
  updateFailed = false;
  notifyListeners('vite:error', viteError(report));
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
