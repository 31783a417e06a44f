// Stylesheet swap without a flash of unstyled content.
//
// The old <link> stays in place until its replacement has loaded: the new one is a clone with
// `?t=<timestamp>` added (other query parameters, such as `v=`, are kept), inserted right after
// it, and the old one is removed on the clone's `load`. If the new sheet fails to load, the
// old one stays.

import { setTimestamp } from './protocol.js';

// Links already being replaced: a quick second save replaces the newest one instead.
const outdated = new WeakSet();

/**
 * Swaps every stylesheet this page links at URL path `path` for its version `timestamp`.
 * @param {string} path the stylesheet's URL path, as the server names it
 * @param {number} timestamp the update's `?t=`
 */
export function swapStylesheet(path, timestamp) {
  const links = document.querySelectorAll('link[rel~="stylesheet"][href]');
  for (const link of links) {
    if (outdated.has(link)) continue;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || url.pathname !== path) continue;
    setTimestamp(url, timestamp);
    const next = link.cloneNode();
    next.href = url.pathname + url.search + url.hash;
    outdated.add(link);
    next.addEventListener('load', () => link.remove(), { once: true });
    next.addEventListener('error', () => { next.remove(); outdated.delete(link); }, { once: true });
    link.after(next);
  }
}
