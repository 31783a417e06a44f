// Fast Refresh: what a component module does to be replaced in place, for React
// (react-refresh.js) and Preact (preact-refresh.js) alike.
//
// The server compiles a module that defines components with oxc's React Refresh transform,
// and wraps it (src/rewrite/refresh.rs):
//
//   import { forModule } from "/__hotplate/<boot>/react-refresh.js";
//   const __hotplateRefresh = forModule("src/App.tsx");
//   ... the module: __hotplateRefresh.register(App, "App") for each component, and a
//       __hotplateRefresh.signature() for each one that calls hooks ...
//   if (import.meta.hot) import(import.meta.url).then((exports) => {
//     __hotplateRefresh.exports(exports);
//     import.meta.hot.accept((next) => __hotplateRefresh.update(next, import.meta.hot)); });
//
// So such a module accepts itself. When its new version arrives, Vite's rule decides: a module
// whose exports are all components (or unchanged values) is a refresh boundary, and the
// framework re-renders its components in place, keeping their state. Any other module
// invalidates itself, so the update goes on to its importers.
//
// A component that throws while re-rendering: the framework keeps the last good tree, and
// `update` throws, so the runtime shows the overlay (client.js); the next good save clears it.

const FRAMEWORK_EXPORT = '__esModule';

// The runtime of one framework: `unavailable()` (why it cannot refresh, or null),
// `register(type, id)`, `signature()`, `isComponent(value)` and `refresh()` (re-renders what
// was registered anew; throws what a component threw).
export function moduleRefresh(framework) {
  return function forModule(id) {
    let current = null;
    return {
      register(type, name) {
        framework.register(type, `${id} ${name}`);
      },
      signature() {
        return framework.signature();
      },
      // This instance's exports: what its next version is checked against.
      exports(exports) {
        current = exports;
        registerExports(framework, id, exports);
      },
      // The module's next version arrived: refresh its components, or hand the update on.
      update(next, hot) {
        if (!next || !current) return;
        const problem = framework.unavailable() ?? incompatible(framework, current, next);
        if (problem) {
          hot.invalidate(problem);
          return;
        }
        registerExports(framework, id, next);
        framework.refresh();
      },
    };
  };
}

// Exports the transform did not see as components (`export default memo(App)`) are registered
// by name, as react-refresh's Vite plugin does; a type registered already keeps its id.
function registerExports(framework, id, exports) {
  for (const key of Object.keys(exports)) {
    if (key === FRAMEWORK_EXPORT) continue;
    const value = exports[key];
    if (framework.isComponent(value)) framework.register(value, `${id} export ${key}`);
  }
}

// Why the module's exports cannot be refreshed in place, or null when they can (Vite's rule).
function incompatible(framework, prev, next) {
  const keys = (exports) => Object.keys(exports).filter((key) => key !== FRAMEWORK_EXPORT);
  const removed = keys(prev).find((key) => !(key in next));
  if (removed !== undefined) return `Could not Fast Refresh (export "${removed}" removed)`;
  const added = keys(next).find((key) => !(key in prev));
  if (added !== undefined) return `Could not Fast Refresh (new export "${added}")`;
  if (keys(next).length === 0) return 'Could not Fast Refresh (the module exports no component)';
  const other = keys(next).find(
    (key) => !framework.isComponent(next[key]) && prev[key] !== next[key],
  );
  if (other !== undefined) {
    return `Could not Fast Refresh ("${other}" export is not a component, so its importers update)`;
  }
  return null;
}

// A component's name starts with a capital, as the JSX convention and React's transform say.
export function hasComponentName(fn) {
  const name = fn.displayName || fn.name;
  return typeof name === 'string' && /^[A-Z]/.test(name);
}

// What a signature collected: the hooks a component calls (`key`), whether a comment asks to
// reset its state on every save (`forceReset`), and its custom hooks, whose own signatures
// count too. Computed once, on first comparison; a hook that cannot be read means reset.
export function fullKey(signature, signatureOf) {
  if (signature.fullKey !== undefined) return signature.fullKey;
  let key = signature.key;
  let hooks;
  try {
    hooks = signature.getCustomHooks ? signature.getCustomHooks() : [];
  } catch {
    signature.forceReset = true;
    return (signature.fullKey = key);
  }
  for (const hook of hooks) {
    if (typeof hook !== 'function') {
      signature.forceReset = true;
      break;
    }
    const nested = signatureOf(hook);
    if (nested === undefined) continue;
    key += '\n---\n' + fullKey(nested, signatureOf);
    if (nested.forceReset) signature.forceReset = true;
  }
  return (signature.fullKey = key);
}

// `$RefreshSig$()` as the transform calls it: once with the component and its hooks' key, at
// definition; then with no arguments on its first render, when its custom hooks exist.
export function signatureFunction(setSignature) {
  return function signature() {
    return function sign(type, key, forceReset, getCustomHooks) {
      if (typeof key === 'string' && type != null) {
        setSignature(type, { key, forceReset: !!forceReset, getCustomHooks });
      }
      return type;
    };
  };
}

// Whether two versions of a component may keep their state: neither is a class, and they call
// the same hooks (Fast Refresh's rule).
export function sameHooks(prev, next, signatureOf) {
  const a = signatureOf(prev);
  const b = signatureOf(next);
  if (a === undefined && b === undefined) return true;
  if (a === undefined || b === undefined) return false;
  if (fullKey(a, signatureOf) !== fullKey(b, signatureOf)) return false;
  return !b.forceReset;
}
