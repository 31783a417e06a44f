// Re-requesting changed images and other assets: `<img src>`, `srcset` on `<img>` and
// `<source>`, `<video poster>`, icons (`<link rel=icon>`) and `url()`s in `style` attributes get
// `?t=<timestamp>`. A
// stylesheet that uses the asset through `url()` needs nothing here: the server sends it a
// `css` update, and its new copy names the asset with the same `?t=`.

import { setTimestamp } from './protocol.js';

/**
 * Asks again for every asset this page shows at one of `paths`, as its version `timestamp`.
 * @param {string[]} paths URL paths of the changed assets
 * @param {number} timestamp the update's `?t=`
 */
export function refreshAssets(paths, timestamp) {
  const matches = (url) => {
    try {
      const parsed = new URL(url, location.href);
      return parsed.origin === location.origin && paths.includes(parsed.pathname);
    } catch {
      return false;
    }
  };
  const bump = (url) => {
    const parsed = new URL(url, location.href);
    setTimestamp(parsed, timestamp);
    return parsed.pathname + parsed.search + parsed.hash;
  };

  for (const el of document.querySelectorAll('img[src], source[src], video[poster]')) {
    const attribute = el.localName === 'video' ? 'poster' : 'src';
    const value = el.getAttribute(attribute);
    if (matches(value)) el.setAttribute(attribute, bump(value));
  }
  for (const el of document.querySelectorAll('link[rel~="icon"][href]')) {
    const href = el.getAttribute('href');
    if (matches(href)) el.setAttribute('href', bump(href));
  }
  for (const el of document.querySelectorAll('img[srcset], source[srcset]')) {
    const srcset = el.getAttribute('srcset');
    const next = srcset
      .split(',')
      .map((candidate) => {
        const [url, ...descriptors] = candidate.trim().split(/\s+/);
        return matches(url) ? [bump(url), ...descriptors].join(' ') : candidate.trim();
      })
      .join(', ');
    if (next !== srcset) el.setAttribute('srcset', next);
  }
  for (const el of document.querySelectorAll('[style*="url("]')) {
    const style = el.getAttribute('style');
    const next = style.replace(/url\((['"]?)([^'")]+)\1\)/g, (whole, quote, url) =>
      matches(url) ? `url("${bump(url)}")` : whole,
    );
    if (next !== style) el.setAttribute('style', next);
  }
}
