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

import { IMPORT_PARAM, SEND_URL, TIMESTAMP_PARAM, isScriptPath } from './protocol.js';

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
// not run that boundary.
export async function applyUpdate({ path, acceptedPath, timestamp, firstInvalidatedBy }) {
  const callbacks = (boundaries.get(path) ?? []).filter(({ deps }) => deps.includes(acceptedPath));
  if (callbacks.length === 0) return false;
  const dispose = disposers.get(acceptedPath);
  disposers.delete(acceptedPath);
  if (dispose) await dispose(dataByPath.get(acceptedPath));
  currentFirstInvalidatedBy = firstInvalidatedBy;
  try {
    // A stylesheet or another file imported as a module is asked for as one, as Vite does.
    const explicit = isScriptPath(acceptedPath) ? '' : `${IMPORT_PARAM}&`;
    const module = await import(`${acceptedPath}?${explicit}${TIMESTAMP_PARAM}=${timestamp}`);
    for (const { deps, fn } of callbacks) {
      fn(deps.map((dep) => (dep === acceptedPath ? module : undefined)));
    }
  } finally {
    currentFirstInvalidatedBy = undefined;
  }
  return true;
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
