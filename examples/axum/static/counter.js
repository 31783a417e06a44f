// Counts up once a second. Saving this file swaps in the new version and keeps the count:
// the old module hands it over through import.meta.hot.data.
export const label = 'count';

let timer;
let count = import.meta.hot?.data.count ?? 0;

export function start(output) {
  const show = () => (output.textContent = `${label} ${count}`);
  show();
  timer = setInterval(() => {
    count += 1;
    show();
  }, 1000);
  window.counterOutput = output;
}

if (import.meta.hot) {
  import.meta.hot.dispose((data) => {
    clearInterval(timer);
    data.count = count;
  });
  import.meta.hot.accept((next) => next?.start(window.counterOutput));
}
