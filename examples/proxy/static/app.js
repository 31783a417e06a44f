// A module that accepts its own updates: edit it and the button keeps its count.
const button = document.getElementById('counter');
let count = import.meta.hot?.data.count ?? 0;

function show() {
  if (button) button.textContent = String(count);
}

function click() {
  count += 1;
  show();
}

button?.addEventListener('click', click);
show();

if (import.meta.hot) {
  import.meta.hot.dispose((data) => {
    data.count = count;
    button?.removeEventListener('click', click);
  });
  import.meta.hot.accept();
}
