// React Fast Refresh, written for hotplate (no `react-refresh` package needed): a saved
// component re-renders in place and keeps its state.
//
// React's development build talks to a global hook, `__REACT_DEVTOOLS_GLOBAL_HOOK__`, as it
// loads: each renderer (react-dom) injects its internals there, and it reports every root it
// schedules and commits. This module installs that hook when it is first imported (compiled
// component modules import it first, so it runs before react-dom does), or wraps the one React
// DevTools installed. Through the renderer's internals it re-renders what changed:
//
// - Each component is registered under an id (its module and name), and its hooks under a
//   signature. A new version of an id is a pending update of its "family".
// - `refresh()` points each family at its newest version and asks every mounted root to
//   re-render the fibers of those families (`scheduleRefresh`). A family whose hooks changed is
//   stale: its fibers remount and lose their state; the others keep it.
// - A new version that throws while re-rendering: its families go back to the last good version
//   and React's own retry renders those, so the page keeps its tree and state; `refresh()` then
//   throws the error, for the overlay. A root that unmounted anyway (the error came from a
//   component that did not change) is rendered again from its element.

import {
  hasComponentName,
  moduleRefresh,
  sameHooks,
  signatureFunction,
} from './refresh.js';

const FORWARD_REF = Symbol.for('react.forward_ref');
const MEMO = Symbol.for('react.memo');

const familiesById = new Map(); // id -> { current }
const familiesByType = new WeakMap(); // every version of a component -> its family
const updatedFamiliesByType = new WeakMap(); // what React resolves: versions that were replaced
const signatures = new WeakMap(); // type -> { key, forceReset, getCustomHooks, fullKey }
const rawByGuard = new WeakMap(); // a guarded version -> the component it runs
let pending = []; // [family, nextType]

const renderers = new Map(); // renderer id -> its internals (scheduleRefresh, ...)
const rendererByRoot = new Map(); // mounted root -> its renderer's internals
const mountedRoots = new Set();
const failedRoots = new Set(); // roots an error unmounted
const rootElements = new WeakMap(); // root -> the element it was last asked to render

let refreshing = null; // during refresh(): { thrown, undo: [[family, previous]] }

const signatureOf = (type) => signatures.get(rawByGuard.get(type) ?? type);

function register(type, id) {
  if (type === null || (typeof type !== 'function' && typeof type !== 'object')) return;
  if (familiesByType.has(type)) return;
  let family = familiesById.get(id);
  if (family === undefined) {
    family = { current: type };
    familiesById.set(id, family);
  } else {
    pending.push([family, type]);
  }
  familiesByType.set(type, family);
  if (typeof type === 'object') {
    if (type.$$typeof === FORWARD_REF) register(type.render, `${id}$render`);
    else if (type.$$typeof === MEMO) register(type.type, `${id}$type`);
  }
}

function isComponent(value) {
  if (typeof value === 'function') {
    const proto = value.prototype;
    if (proto != null) {
      if (proto.isReactComponent) return true;
      const own = Object.getOwnPropertyNames(proto);
      if (own.length > 1 || own[0] !== 'constructor') return false;
      if (Object.getPrototypeOf(proto) !== Object.prototype) return false;
    }
    return hasComponentName(value);
  }
  if (value !== null && typeof value === 'object') {
    return value.$$typeof === FORWARD_REF || value.$$typeof === MEMO;
  }
  return false;
}

const isClass = (type) => typeof type === 'function' && !!type.prototype?.isReactComponent;

// `next`, run by React in its place: a throw while a refresh renders puts the families of that
// refresh back on their last good versions before React retries.
function guard(next) {
  if (typeof next !== 'function' || isClass(next)) return next;
  const guarded = function (props, second) {
    try {
      return next.call(this, props, second);
    } catch (error) {
      if (refreshing !== null && !isThenable(error)) undo(error);
      throw error;
    }
  };
  for (const key of ['name', 'displayName']) {
    const value = next[key];
    if (value !== undefined) Object.defineProperty(guarded, key, { value, configurable: true });
  }
  rawByGuard.set(guarded, next);
  return guarded;
}

const isThenable = (value) => value !== null && typeof value?.then === 'function';

function undo(error) {
  if (refreshing.thrown === undefined) refreshing.thrown = error;
  for (const [family, previous] of refreshing.undo) family.current = previous;
}

const resolveFamily = (type) => updatedFamiliesByType.get(type);

// Re-renders every component registered anew since the last refresh.
function refresh() {
  if (pending.length === 0) return;
  const updates = pending;
  pending = [];
  const updatedFamilies = new Set();
  const staleFamilies = new Set();
  const state = { thrown: undefined, undo: [] };
  for (const [family, next] of updates) {
    const previous = family.current;
    const guarded = guard(next);
    state.undo.push([family, previous]);
    for (const type of [previous, next, guarded]) {
      updatedFamiliesByType.set(type, family);
      familiesByType.set(type, family);
    }
    family.current = guarded;
    const keep = !isClass(previous) && !isClass(next) && sameHooks(previous, next, signatureOf);
    (keep ? updatedFamilies : staleFamilies).add(family);
  }
  const reported = (event) => {
    if (state.thrown === undefined) state.thrown = event.error;
  };
  addEventListener('error', reported);
  refreshing = state;
  try {
    for (const internals of renderers.values()) internals.setRefreshHandler(resolveFamily);
    for (const root of [...failedRoots]) {
      const internals = rendererByRoot.get(root);
      if (internals && rootElements.has(root)) internals.scheduleRoot(root, rootElements.get(root));
    }
    for (const root of [...mountedRoots]) {
      const internals = rendererByRoot.get(root);
      if (internals) internals.scheduleRefresh(root, { updatedFamilies, staleFamilies });
    }
    if (state.thrown !== undefined) {
      // The families are back on their last good versions: render what an error unmounted.
      undo(state.thrown);
      for (const root of [...failedRoots]) {
        const internals = rendererByRoot.get(root);
        if (internals && rootElements.has(root)) {
          internals.scheduleRoot(root, rootElements.get(root));
        }
      }
    }
  } finally {
    refreshing = null;
    removeEventListener('error', reported);
  }
  if (state.thrown !== undefined) throw state.thrown;
}

function setSignature(type, signature) {
  if (!signatures.has(type)) signatures.set(type, signature);
}

// The DevTools hook: React's renderers find it as they load.
function installHook() {
  let hook = globalThis.__REACT_DEVTOOLS_GLOBAL_HOOK__;
  if (hook === undefined) {
    let nextId = 0;
    hook = globalThis.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
      renderers: new Map(),
      supportsFiber: true,
      inject(internals) {
        const id = nextId++;
        this.renderers.set(id, internals);
        return id;
      },
      onScheduleFiberRoot() {},
      onCommitFiberRoot() {},
      onCommitFiberUnmount() {},
    };
  }
  if (hook.isDisabled) {
    console.warn('[hotplate] React DevTools hook is disabled: no Fast Refresh');
    return;
  }
  const adopt = (id, internals) => {
    if (
      typeof internals?.scheduleRefresh === 'function' &&
      typeof internals.setRefreshHandler === 'function'
    ) {
      renderers.set(id, internals);
    }
  };
  hook.renderers?.forEach((internals, id) => adopt(id, internals));
  const inject = hook.inject;
  hook.inject = function (internals) {
    const id = inject.apply(this, arguments);
    adopt(id, internals);
    return id;
  };
  const onSchedule = hook.onScheduleFiberRoot ?? (() => {});
  hook.onScheduleFiberRoot = function (id, root, element) {
    if (refreshing === null) {
      failedRoots.delete(root);
      rootElements.set(root, element);
    }
    return onSchedule.apply(this, arguments);
  };
  const onCommit = hook.onCommitFiberRoot;
  hook.onCommitFiberRoot = function (id, root, priority, didError) {
    const internals = renderers.get(id);
    if (internals !== undefined) {
      rendererByRoot.set(root, internals);
      const shows = (fiber) => fiber?.memoizedState?.element != null;
      const was = mountedRoots.has(root) && shows(root.current.alternate);
      const is = shows(root.current);
      if (is) {
        mountedRoots.add(root);
        failedRoots.delete(root);
      } else if (was || root.current.alternate === null) {
        mountedRoots.delete(root);
        if (didError) failedRoots.add(root);
        else rendererByRoot.delete(root);
      } else if (didError) {
        failedRoots.add(root);
      }
    }
    return onCommit.apply(this, arguments);
  };
}

installHook();

// Why nothing can be refreshed: React's renderer loaded before this runtime (the page's entry
// is a .js file that imports react-dom before any .jsx or .tsx module).
function unavailable() {
  return renderers.size === 0
    ? 'React loaded before the Fast Refresh runtime (import react-dom from a .jsx or .tsx module)'
    : null;
}

export const forModule = moduleRefresh({
  unavailable,
  register,
  signature: signatureFunction(setSignature),
  isComponent,
  refresh,
});
