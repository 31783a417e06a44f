// Stylesheet updates without a flash of unstyled content.
//
// An update that brings the stylesheet's rules (a small stylesheet: the server sends its new
// text, cut into top-level rules, references absolute) is applied with no request: the
// <link>'s own sheet is emptied and the rules inserted, so the sheet keeps its place in the
// cascade and its `media`, `link.sheet` finds the new rules, and no frame is drawn between.
// Leading `@import`s that did not change stay as they are (inserting one fetches it again).
//
// Otherwise (a big stylesheet, or a link whose sheet is not there to write: still loading, or
// from another origin) the old <link> stays in place until its replacement has loaded: the new
// one is a clone with `?t=<timestamp>` added (other query parameters, such as `v=`, are kept),
// inserted right after it, and the old one is removed on the clone's `load`. If the new sheet
// fails to load, the old one stays.

import { markApplied } from './marks.js';
import { setTimestamp } from './protocol.js';

// Links already being replaced: a quick second save replaces the newest one instead.
const outdated = new WeakSet();

/**
 * Updates every stylesheet this page links at URL path `path` to its version `timestamp`:
 * with `rules` in place, else by fetching it again.
 * @param {string} path the stylesheet's URL path, as the server names it
 * @param {number} timestamp the update's `?t=`
 * @param {string[] | undefined} rules the stylesheet's new top-level rules, when sent
 * @returns {number} how many links took the rules in place
 */
export function updateStylesheet(path, timestamp, rules) {
  let inPlace = 0;
  for (const link of linksTo(path)) {
    if (rules && replaceRules(link, rules)) inPlace += 1;
    else swap(link, timestamp);
  }
  return inPlace;
}

function linksTo(path) {
  return [...document.querySelectorAll('link[rel~="stylesheet"][href]')].filter((link) => {
    if (outdated.has(link)) return false;
    const url = new URL(link.href, location.href);
    return url.origin === location.origin && url.pathname === path;
  });
}

// Puts `rules` into the link's sheet in place of what it holds. False when the sheet cannot
// be written (not loaded yet, or another origin's).
function replaceRules(link, rules) {
  const sheet = link.sheet;
  let live;
  try {
    live = sheet && sheet.cssRules;
  } catch {
    return false;
  }
  if (!live) return false;
  const kept = unchangedImports(live, rules, link.href);
  while (sheet.cssRules.length > kept) sheet.deleteRule(sheet.cssRules.length - 1);
  for (const rule of rules.slice(kept)) {
    try {
      sheet.insertRule(rule, sheet.cssRules.length);
    } catch {
      // A rule this browser does not understand: parsing the file would have dropped it too.
    }
  }
  return true;
}

const IMPORT = /^@import\s+(?:url\(\s*)?["']?([^"')\s;]+)/i;

// How many of the sheet's leading @import rules the new rules keep as they are.
function unchangedImports(live, rules, base) {
  let kept = 0;
  while (kept < live.length && kept < rules.length && live[kept] instanceof CSSImportRule) {
    const next = IMPORT.exec(rules[kept]);
    if (!next || new URL(next[1], base).href !== new URL(live[kept].href, base).href) break;
    kept += 1;
  }
  // The kept ones come first: anything before them must go, and an @import cannot follow
  // other rules.
  return kept;
}

function swap(link, timestamp) {
  const url = new URL(link.href, location.href);
  setTimestamp(url, timestamp);
  const next = link.cloneNode();
  next.href = url.pathname + url.search + url.hash;
  outdated.add(link);
  next.addEventListener(
    'load',
    () => {
      link.remove();
      markApplied('css-fetched', url.pathname);
    },
    { once: true },
  );
  next.addEventListener('error', () => { next.remove(); outdated.delete(link); }, { once: true });
  link.after(next);
}
