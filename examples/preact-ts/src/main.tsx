// Preact and @preact/signals are ES-module packages: hotplate serves them as they are, from
// node_modules, at URLs versioned by package-lock.json.
import { render } from 'preact';
import { App } from './App';

const app = document.getElementById('app')!;
render(<App />, app);

// Save App.tsx: the new component renders in place. The count lives in store.ts, which is
// not reloaded, so it survives.
import.meta.hot?.accept('./App', (next?: { App: typeof App }) => {
  if (next) render(<next.App />, app);
});
