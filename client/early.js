// The runtime's first words, inlined at the top of <head> so they run before any of the page's
// own scripts: from here on, note which attributes scripts change, and what the server had sent.
// morph.js takes the notes over when it loads, and a morph keeps those attributes as the scripts
// left them unless the template changed them too (a theme class an inline script put on <html>,
// a tab's aria-selected, a <details> the user opened).
(() => {
  const records = [];
  const observer = new MutationObserver((list) => records.push(...list));
  observer.observe(document.documentElement, { subtree: true, attributes: true, attributeOldValue: true });
  window.__hotplateEarly = { observer, records };
})();
