import { count, doubled } from './store';

export function App() {
  return (
    <main>
      <h1>Preact + TypeScript</h1>
      <p class="hint">Edit src/App.tsx and save: the page updates in place, the count stays.</p>
      <button id="count" type="button" onClick={() => count.value++}>
        count is {count}
      </button>
      <p id="doubled">doubled: {doubled}</p>
    </main>
  );
}
