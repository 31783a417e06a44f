import { useState } from 'react';

export function Counter({ start }: { start: number }) {
  const [count, setCount] = useState(start);
  return (
    <button id="count" type="button" onClick={() => setCount((n) => n + 1)}>
      count is {count}
    </button>
  );
}
