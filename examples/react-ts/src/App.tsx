import { useState } from 'react';
import { Counter } from './Counter';

interface Props {
  title: string;
}

export function App({ title }: Props) {
  const [name, setName] = useState('');
  return (
    <main>
      <h1>{title}</h1>
      <p className="hint">Edit src/App.tsx and save: the page updates in place.</p>
      <Counter start={0} />
      <label>
        Your name <input id="name" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <p id="greeting">{name ? `Hello, ${name}!` : 'Hello!'}</p>
    </main>
  );
}
