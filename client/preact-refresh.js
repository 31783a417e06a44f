// Preact Fast Refresh, written for hotplate (as prefresh does it, without its packages): a saved
// component re-renders in place and keeps its hooks' state, signals included.
//
// Preact has no refresh support of its own; it has `options`, hooks every render goes through.
// The wrapper of each component module (client/refresh.js) passes the `options` of the app's own
// Preact (its `import { options } from "preact"` is resolved like the app's imports), and this
// module hooks them once:
//
// - `vnode`: an element of an old version of a component is made with its newest version, so a
//   parent that was not saved renders the new one, into the same instance;
// - `diffed` / `unmount`: which component instances each family of versions has mounted;
// - `__e` (Preact's `_catchError`): during a refresh, a throw keeps the old DOM (Preact has put
//   it back) instead of reaching an error boundary or unmounting the tree.
//
// `refresh()` points each instance at its new version (a function component's `constructor`, a
// class's prototype), resets the hooks of one whose hooks changed, and re-renders it at once.
// A new version that throws: the families go back to their last good versions, re-render, and
// `refresh()` throws the error, for the overlay.
//
// Preact's internal names are mangled in its builds; these are Preact 10's (`__c` a vnode's
// component, `__v` a component's vnode, `__H` its hooks, `__e` the error option).

import { hasComponentName, moduleRefresh, sameHooks, signatureFunction } from './refresh.js';

const VNODE_COMPONENT = '__c';
const COMPONENT_VNODE = '__v';
const COMPONENT_HOOKS = '__H';
const HOOK_LIST = '__';
const HOOK_EFFECTS = '__h';
const HOOK_CLEANUP = '__c';
const CATCH_ERROR = '__e';

const familiesById = new Map(); // id -> { current, instances: Set }
const familiesByType = new WeakMap();
const signatures = new WeakMap();
let pending = []; // [family, nextType]
let refreshing = null; // during refresh(): { thrown }
const hooked = new WeakSet(); // the `options` objects hooked already

function install(options) {
  if (!options || hooked.has(options)) return;
  hooked.add(options);
  const chain = (name, hook) => {
    const before = options[name];
    options[name] = function (...args) {
      hook(...args);
      if (before) return before.apply(this, args);
    };
  };
  chain('vnode', (vnode) => {
    const family = typeof vnode?.type === 'function' ? familiesByType.get(vnode.type) : undefined;
    if (family !== undefined && family.current !== vnode.type) vnode.type = family.current;
  });
  chain('diffed', (vnode) => {
    const component = vnode?.[VNODE_COMPONENT];
    const family = component ? familiesByType.get(vnode.type) : undefined;
    if (family !== undefined) family.instances.add(component);
  });
  chain('unmount', (vnode) => {
    const component = vnode?.[VNODE_COMPONENT];
    const family = component ? familiesByType.get(vnode.type) : undefined;
    if (family !== undefined) family.instances.delete(component);
  });
  const catchError = options[CATCH_ERROR];
  options[CATCH_ERROR] = function (error, ...rest) {
    if (refreshing !== null && !(error && typeof error.then === 'function')) {
      if (refreshing.thrown === undefined) refreshing.thrown = error;
      return;
    }
    return catchError.call(this, error, ...rest);
  };
}

function register(type, id) {
  if (typeof type !== 'function' || familiesByType.has(type)) return;
  let family = familiesById.get(id);
  if (family === undefined) {
    family = { current: type, instances: new Set() };
    familiesById.set(id, family);
  } else {
    pending.push([family, type]);
  }
  familiesByType.set(type, family);
}

const isClass = (type) => typeof type?.prototype?.render === 'function';

function isComponent(value) {
  return typeof value === 'function' && hasComponentName(value);
}

const signatureOf = (type) => signatures.get(type);

// Runs each effect's cleanup and forgets the hooks: the component starts over.
function resetHooks(component) {
  const hooks = component[COMPONENT_HOOKS];
  for (const hook of hooks?.[HOOK_LIST] ?? []) {
    const cleanup = hook[HOOK_CLEANUP];
    if (typeof cleanup === 'function') {
      hook[HOOK_CLEANUP] = undefined;
      cleanup();
    }
  }
  component[COMPONENT_HOOKS] = { [HOOK_LIST]: [], [HOOK_EFFECTS]: [] };
}

// Points every mounted instance of `family` at `type`.
function point(family, type, reset) {
  family.current = type;
  for (const component of family.instances) {
    if (isClass(type)) Object.setPrototypeOf(component, type.prototype);
    component.constructor = type;
    const vnode = component[COMPONENT_VNODE];
    if (vnode) vnode.type = type;
    if (reset) resetHooks(component);
  }
}

// Re-renders the instances of `families` now, not on Preact's next tick.
function renderNow(options, families) {
  const debounce = options.debounceRendering;
  options.debounceRendering = (run) => run();
  try {
    for (const family of families) {
      for (const component of family.instances) component.forceUpdate();
    }
  } finally {
    options.debounceRendering = debounce;
  }
}

function refresh(options) {
  if (pending.length === 0) return;
  const updates = pending;
  pending = [];
  const families = new Set();
  const undo = [];
  for (const [family, next] of updates) {
    const previous = family.current;
    undo.push([family, previous]);
    const keep = !isClass(previous) && !isClass(next) && sameHooks(previous, next, signatureOf);
    familiesByType.set(next, family);
    point(family, next, !keep && !isClass(next));
    families.add(family);
  }
  const state = { thrown: undefined };
  refreshing = state;
  try {
    renderNow(options, families);
    if (state.thrown !== undefined) {
      for (const [family, previous] of undo.reverse()) point(family, previous, false);
      renderNow(options, families);
    }
  } finally {
    refreshing = null;
  }
  if (state.thrown !== undefined) throw state.thrown;
}

function setSignature(type, signature) {
  if (!signatures.has(type)) signatures.set(type, signature);
}

const signature = signatureFunction(setSignature);

// The module wrapper's entry: `forModule(id, options)`, with the app's Preact `options`.
export function forModule(id, options) {
  install(options);
  return moduleRefresh({
    unavailable: () => null,
    register,
    signature,
    isComponent,
    refresh: () => refresh(options),
  })(id);
}
