// React from its CommonJS build: hotplate converts react, react-dom/client and
// react/jsx-runtime into ES modules once (rolldown), under node_modules/.hotplate/.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';

const root = createRoot(document.getElementById('root')!);

function render(Component: typeof App) {
  root.render(
    <StrictMode>
      <Component title="React + TypeScript" />
    </StrictMode>,
  );
}

render(App);

// Save App.tsx: the new component renders in place, without a page reload.
import.meta.hot?.accept('./App', (next?: { App: typeof App }) => {
  if (next) render(next.App);
});
