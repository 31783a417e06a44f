// `import.meta.hot`, compatible with Vite's HMR API, and the code that applies module updates.
//
// The server gives every module that mentions `import.meta.hot` a one-line prologue:
//
//   import { createHotContext } from "/__hotplate/<boot>/hot.js";
//   import.meta.hot = createHotContext("/the/module.js");
//
// Each new instance of a module (after a hot update, the module is imported again as
// `/the/module.js?t=<timestamp>`) gets a fresh context for the same path: its old accept
// callbacks and event listeners are dropped, while `data` is the same object for every
// instance, so a dispose callback can hand state to the next one.

import {
  IMPORTS_BY_URL_META,
  IMPORT_PARAM,
  SEND_URL,
  TIMESTAMP_PARAM,
  isScriptPath,
} from './protocol.js';

const boundaries = new Map(); // path -> [{ deps: [paths], fn }], from accept()
const disposers = new Map(); // path -> fn(data)
const pruners = new Map(); // path -> fn(data)
const dataByPath = new Map(); // path -> the object `import.meta.hot.data` returns
const listeners = new Map(); // event -> [fn], from on()
const listenersByPath = new Map(); // path -> Map(event -> [fn]), to drop them with the instance

export function createHotContext(ownerPath) {
  if (!dataByPath.has(ownerPath)) dataByPath.set(ownerPath, {});
  boundaries.delete(ownerPath);
  const stale = listenersByPath.get(ownerPath);
  if (stale) {
    for (const [event, fns] of stale) {
      const live = listeners.get(event);
      if (live) listeners.set(event, live.filter((fn) => !fns.includes(fn)));
    }
  }
  const own = new Map();
  listenersByPath.set(ownerPath, own);

  // Dependencies are written relative to the module, as in its imports.
  const resolve = (dep) => new URL(dep, new URL(ownerPath, location.origin)).pathname;
  const acceptDeps = (deps, fn) => {
    const callbacks = boundaries.get(ownerPath) ?? [];
    callbacks.push({ deps, fn });
    boundaries.set(ownerPath, callbacks);
  };

  return {
    get data() {
      return dataByPath.get(ownerPath);
    },
    accept(deps, callback) {
      if (typeof deps === 'function' || !deps) {
        acceptDeps([ownerPath], ([module]) => deps?.(module));
      } else if (typeof deps === 'string') {
        acceptDeps([resolve(deps)], ([module]) => callback?.(module));
      } else if (Array.isArray(deps)) {
        acceptDeps(deps.map(resolve), (modules) => callback?.(modules));
      } else {
        throw new Error('[hotplate] invalid import.meta.hot.accept() usage');
      }
    },
    // Vite's partial accept (behind its `hmrPartialAccept` flag): the callback is kept, as in
    // Vite without the flag, but the module is not a boundary for the server.
    acceptExports(_, callback) {
      acceptDeps([ownerPath], ([module]) => callback?.(module));
    },
    dispose(callback) {
      disposers.set(ownerPath, callback);
    },
    prune(callback) {
      pruners.set(ownerPath, callback);
    },
    // Accepted for compatibility; like Vite, it changes nothing.
    decline() {},
    // Vite's rule: the first module of a chain of invalidations is named along it, and a chain
    // that comes back to it reloads (the server decides).
    invalidate(message) {
      const firstInvalidatedBy = currentFirstInvalidatedBy ?? ownerPath;
      notifyListeners('vite:invalidate', { path: ownerPath, message, firstInvalidatedBy });
      send('vite:invalidate', { path: ownerPath, message, firstInvalidatedBy });
      console.debug(`[hotplate] ${ownerPath} invalidated itself${message ? `: ${message}` : ''}`);
    },
    on(event, callback) {
      add(listeners, event, callback);
      add(own, event, callback);
    },
    off(event, callback) {
      removeFrom(listeners, event, callback);
      removeFrom(own, event, callback);
    },
    send(event, data) {
      send(event, data);
    },
  };
}

// Applies one `js` update: `path` is the boundary, `acceptedPath` the module it accepts (itself,
// for a self-accepting module). Its dispose callback runs, then the module is imported afresh,
// then the boundary's accept callbacks get the new module. Returns false when this page does
// not run that boundary. `code` is the new module, when the message carries it.
export async function applyUpdate({ path, acceptedPath, timestamp, firstInvalidatedBy, code }) {
  const callbacks = (boundaries.get(path) ?? []).filter(({ deps }) => deps.includes(acceptedPath));
  if (callbacks.length === 0) return false;
  const dispose = disposers.get(acceptedPath);
  disposers.delete(acceptedPath);
  if (dispose) await dispose(dataByPath.get(acceptedPath));
  currentFirstInvalidatedBy = firstInvalidatedBy;
  try {
    // A stylesheet or another file imported as a module is asked for as one, as Vite does.
    const explicit = isScriptPath(acceptedPath) ? '' : `${IMPORT_PARAM}&`;
    const url = `${acceptedPath}?${explicit}${TIMESTAMP_PARAM}=${timestamp}`;
    if (code) mapToCode(url, code);
    const module = await import(url);
    for (const { deps, fn } of callbacks) {
      fn(deps.map((dep) => (dep === acceptedPath ? module : undefined)));
    }
  } finally {
    currentFirstInvalidatedBy = undefined;
  }
  return true;
}

// Under a Content-Security-Policy, which would refuse both the import map and the `data:`
// script, modules are always fetched.
const importsByUrl = document.querySelector(`meta[name="${IMPORTS_BY_URL_META}"]`) !== null;

// A module the message carries (its code in pieces, to be joined with this page's origin) is
// mapped, by an import map, from the URL it would be fetched at to a `data:` URL of that code.
// So the `import()` that follows makes no request, and a module that imports that URL later
// gets this very instance, as it would from the server. A browser that takes no import map
// once modules have loaded fetches the URL, as before.
function mapToCode(url, code) {
  if (importsByUrl) return;
  const source = code.join(location.origin);
  const map = document.createElement('script');
  map.type = 'importmap';
  map.textContent = JSON.stringify({
    imports: {
      [new URL(url, location.origin).href]:
        `data:text/javascript;charset=utf-8,${encodeURIComponent(source)}`,
    },
  });
  // Read as it is inserted: the element itself need not stay.
  document.head.append(map);
  map.remove();
}

// While an update that followed an invalidation is applied: the module that started the chain.
let currentFirstInvalidatedBy;

// Modules that are gone: every dispose callback runs, then every prune callback.
export async function prunePaths(paths) {
  notifyListeners('vite:beforePrune', { type: 'prune', paths });
  for (const path of paths) {
    const dispose = disposers.get(path);
    if (dispose) await dispose(dataByPath.get(path));
  }
  for (const path of paths) {
    const prune = pruners.get(path);
    if (prune) await prune(dataByPath.get(path));
    for (const map of [disposers, pruners, boundaries, dataByPath]) map.delete(path);
  }
}

export function notifyListeners(event, data) {
  for (const fn of listeners.get(event) ?? []) fn(data);
}

// import.meta.hot.send: a message for the server's handler.
export function send(event, data) {
  fetch(SEND_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event, data }),
    keepalive: true,
  }).catch((error) => console.warn(`[hotplate] could not send ${event}`, error));
}

function add(map, event, fn) {
  map.set(event, [...(map.get(event) ?? []), fn]);
}

function removeFrom(map, event, fn) {
  const fns = map.get(event);
  if (fns) map.set(event, fns.filter((f) => f !== fn));
}
