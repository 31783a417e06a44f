// Preact and @preact/signals are ES-module packages: hotplate serves them as they are, from
// node_modules, at URLs versioned by package-lock.json.
import { render } from 'preact';
import { App } from './App';

// Save a component (App.tsx): it re-renders in place, and its hooks and signals keep their
// state (Fast Refresh, as prefresh does it for Vite).
render(<App />, document.getElementById('app')!);
