import { useState } from 'preact/hooks';
import { count, doubled } from './store';

export function App() {
  return (
    <main>
      <h1>Preact + TypeScript</h1>
      <p class="hint">Edit src/App.tsx and save: the page updates in place, the counts stay.</p>
      <button id="count" type="button" onClick={() => count.value++}>
        count is {count}
      </button>
      <p id="doubled">doubled: {doubled}</p>
      <Likes />
    </main>
  );
}

// State in a hook: a save keeps it too.
function Likes() {
  const [likes, setLikes] = useState(0);
  return (
    <button id="likes" type="button" onClick={() => setLikes(likes + 1)}>
      likes: {likes}
    </button>
  );
}
