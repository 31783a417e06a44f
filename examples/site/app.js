// A module with hot updates (Vite's `import.meta.hot` API).
//
// Save this file: the page runs the new code in place, and the click count survives, handed
// to the new version through `import.meta.hot.data`. Save `greeting.js`: this module gets the
// new greeting in its accept callback, and nothing else runs again.
import { greeting } from './greeting.js';

const says = document.getElementById('module-says');
const button = document.getElementById('clicks');
let clicks = import.meta.hot?.data.clicks ?? 0;

function render(text) {
  if (says) says.textContent = text;
  if (button) button.textContent = `clicked ${clicks} times`;
}

const onClick = () => {
  clicks += 1;
  render(greeting);
};
button?.addEventListener('click', onClick);
render(greeting);

if (import.meta.hot) {
  import.meta.hot.accept();
  import.meta.hot.accept('./greeting.js', (next) => render(next.greeting));
  import.meta.hot.dispose((data) => {
    data.clicks = clicks;
    button?.removeEventListener('click', onClick);
  });
}
