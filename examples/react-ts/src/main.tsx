// React from its CommonJS build: hotplate converts react, react-dom/client and
// react/jsx-runtime into ES modules once (rolldown), under node_modules/.hotplate/.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';

// Save a component (App.tsx, Counter.tsx): it re-renders in place and keeps its state, as
// with Vite's React plugin (Fast Refresh). No code of the app's own is needed for it.
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App title="React + TypeScript" />
  </StrictMode>,
);
