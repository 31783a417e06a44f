// The DOM morph: turns the live document into a freshly rendered one in place, keeping what
// the user was doing.
//
// `morphDocument(next)` takes the new page, parsed with DOMParser, and:
//   1. merges <head> by key (title, meta by name, link by rel and href, script by src or text,
//      style by text): new stylesheets are added and awaited before the body changes, and
//      stylesheets that are gone are removed after it, so nothing shows unstyled;
//   2. morphs <body>: each new child is matched to a live one by id, else by tag and position
//      (a node equal to the next one counts as an insertion or deletion rather than a change),
//      and a matched node is updated in place, never recreated;
//   3. puts back focus, the caret and the window's scroll position if they moved.
//
// Live state wins unless the template changed that very attribute: typed values, `checked`,
// `selected`, and every attribute a script or the user changed since the server sent it (a
// theme class on <html>, `aria-expanded`, `<details open>`, `<dialog open>`; early.js and
// `watchAttributes` note them). For `class`, the template's own changes apply token by token
// and the script's classes stay.
//
// Kept nodes keep their listeners, scroll positions, playing media, iframes and custom-element
// instances (moved with `moveBefore` where the browser has it, which keeps all of that across a
// move). A subtree marked `data-hotplate-keep` is left alone. Scripts run only when they are new
// or changed.

import { KEEP_ATTRIBUTE as KEEP, dropTimestamp } from './protocol.js';

// Attributes changed since the server sent them, by anything but a morph: element → Map of
// attribute name → the value the server sent (null when it sent none).
const changed = new WeakMap();
let observer = null;

function note(records) {
  for (const record of records) {
    let names = changed.get(record.target);
    if (!names) changed.set(record.target, (names = new Map()));
    // The value before the first change is what the server sent.
    if (!names.has(record.attributeName)) names.set(record.attributeName, record.oldValue);
  }
}

// Takes over from early.js and goes on noting attribute changes. Called once, as the runtime
// loads.
export function watchAttributes() {
  const early = window.__hotplateEarly;
  if (early) {
    note(early.records);
    note(early.observer.takeRecords());
    early.observer.disconnect();
    delete window.__hotplateEarly;
  }
  observer = new MutationObserver(note);
  observer.observe(document.documentElement, { subtree: true, attributes: true, attributeOldValue: true });
}

// What the page's scripts changed so far counts as theirs; what the morph is about to change
// does not.
const noteChanges = () => observer && note(observer.takeRecords());
const forgetOwnChanges = () => observer && observer.takeRecords();

// A custom element's children as the last render had them (its own code may render into them).
// The first ones are taken before the page's modules define any element.
const served = new WeakMap();

export function rememberServed(root = document) {
  for (const element of root.querySelectorAll(':not(:defined)')) served.set(element, element.innerHTML);
}

// Applies the ops of a patch the server pushed (docs/architecture.md, "Wire protocol"): each
// names an element by its path of element-child indices from <html>, checked by the tags on
// the way, and sets its title, one of its texts or its attributes, or morphs it into new HTML;
// a `texts` op sets the same text in many rows of one element. Returns false, having changed
// nothing, when an element is not where the patch says (a script moved things): the page is
// fetched instead. What a patch sends is morphed in with the same rules as a whole page, and
// only the elements it names are touched.
export function patchDocument(ops) {
  const locate = locator();
  const targets = [];
  for (const op of ops) {
    const target = locate(op);
    if (target === null) return false;
    targets.push(target);
  }
  const place = placeOf();
  noteChanges();
  const keeps = document.querySelector(`[${KEEP}]`) !== null;
  ops.forEach((op, i) => {
    const live = targets[i];
    if (op.op === 'texts') {
      live.forEach((text, row) => {
        if (keeps && text.parentElement.closest(`[${KEEP}]`)) return;
        text.nodeValue = op.texts.length === 1 ? op.texts[0] : op.texts[row];
      });
      return;
    }
    if (keeps && live.closest(`[${KEEP}]`)) return;
    if (op.op === 'title') {
      document.title = op.text;
    } else if (op.op === 'text') {
      live.childNodes[op.index].nodeValue = op.text;
    } else if (op.op === 'attributes') {
      const attributes = new Map(op.attributes);
      syncAttributes(live, {
        getAttributeNames: () => [...attributes.keys()],
        getAttribute: (name) => (attributes.has(name) ? attributes.get(name) : null),
        hasAttribute: (name) => attributes.has(name),
      });
    } else {
      const template = document.createElement('template');
      template.innerHTML = op.html;
      const next = template.content.firstElementChild;
      if (next && next.localName === live.localName) morphNode(live, next);
    }
  });
  forgetOwnChanges();
  // Only a morph can move what the page shows from under the scroll position; reading it
  // after texts and attributes changed would only force a layout the next frame does anyway.
  restorePlace(place, ops.some((op) => op.op === 'element'));
  return true;
}

// A function that gives the live element an op names, or null when it is not there. Ops come
// in document order, so the way down is taken from where the last op's went as far as their
// paths agree (a list's rows: from the list, not from <html>).
function locator() {
  const way = [document.documentElement];
  let last = [];
  return (op) => {
    if (op.op === 'title') return document.head;
    let same = 0;
    while (same < last.length && same < op.path.length && last[same] === op.path[same]) same++;
    way.length = same + 1;
    let node = way[same];
    for (let i = same; i < op.path.length; i++) {
      node = node.children[op.path[i]];
      if (!node || node.localName !== op.tags[i]) return null;
      way.push(node);
    }
    last = op.path;
    return op.op === 'texts' ? rowTexts(op, node) : checked(op, node);
  };
}

// The text nodes a `texts` op sets, one in each of its rows of `parent`, when every one is
// where the op says; else null.
function rowTexts(op, parent) {
  if (parent.children.length !== op.children) return null;
  const texts = [];
  for (const row of op.rows) {
    let node = parent.children[row];
    if (!node || node.localName !== op.belowTags[0]) return null;
    for (let i = 0; i < op.below.length; i++) {
      node = node.children[op.below[i]];
      if (!node || node.localName !== op.belowTags[i + 1]) return null;
    }
    const text = node.parentElement.children.length === op.siblings ? textOf(op, node) : null;
    if (text === null) return null;
    texts.push(text);
  }
  return texts;
}

// `node`, where the op's path led, when what is around it is as the op says; else null.
function checked(op, node) {
  // Below <body>, the parent must have the children it had (a script may have added some).
  if (op.path.length >= 2 && node.parentElement.children.length !== op.siblings) return null;
  if (op.op === 'text' && textOf(op, node) === null) return null;
  return node;
}

// The text node a text op names in `node` (child `index` of its `nodes`), or null when `node`
// holds something else there.
function textOf(op, node) {
  const text = node.childNodes[op.index];
  return node.childNodes.length === op.nodes && text?.nodeType === Node.TEXT_NODE ? text : null;
}

export async function morphDocument(next) {
  const place = placeOf();

  noteChanges();
  const { loading, stale } = mergeHead(document.head, next.head);
  forgetOwnChanges();
  await Promise.all(loading);
  noteChanges();
  syncAttributes(document.documentElement, next.documentElement);
  morphNode(document.body, next.body);
  for (const element of stale) element.remove();
  forgetOwnChanges();
  restorePlace(place, true);
}

// The morph of one node: `live` is in the document, `next` comes from the new page.
export function morphNode(live, next) {
  if (live.nodeType !== Node.ELEMENT_NODE) {
    if (live.nodeValue !== next.nodeValue) live.nodeValue = next.nodeValue;
    return;
  }
  if (live.hasAttribute(KEEP)) return;
  if (live.localName === 'script') {
    if (!sameScript(live, next)) live.replaceWith(adopt(next));
    return;
  }
  syncAttributes(live, next);
  if (live.localName === 'textarea') {
    // Its text is its default value: a typed value stays unless the template changed it.
    if (live.defaultValue !== next.defaultValue) {
      live.defaultValue = next.defaultValue;
      live.value = next.defaultValue;
    }
    return;
  }
  if (live.localName === 'template') {
    morphChildren(live.content, next.content);
    return;
  }
  if (live.localName.includes('-')) {
    // A custom element may render into its own children: only the template's changes go in.
    const before = served.has(live) ? served.get(live) : live.innerHTML;
    served.set(live, next.innerHTML);
    if (before === next.innerHTML) return;
  }
  morphChildren(live, next);
}

function morphChildren(parent, next) {
  let byId = null; // built on the first new child with an id
  let cursor = parent.firstChild;
  for (let incoming = next.firstChild; incoming; incoming = incoming.nextSibling) {
    let match = null;
    let equal = false;
    if (incoming.nodeType === Node.ELEMENT_NODE && incoming.id) {
      byId ??= liveIds(parent);
      const candidate = byId.get(incoming.id);
      if (candidate && candidate.localName === incoming.localName) {
        match = candidate;
        byId.delete(incoming.id);
      }
    }
    if (!match && cursor && matchesByPosition(cursor, incoming)) {
      if (cursor.isEqualNode(incoming)) {
        match = cursor;
        equal = true;
      } else if (!isInsertion(cursor, incoming)) {
        const after = deletedUpTo(cursor, incoming);
        if (after) {
          removeBetween(cursor, after);
          cursor = after;
          equal = true;
        }
        match = cursor;
      }
    }
    if (!match) {
      parent.insertBefore(adopt(incoming), cursor);
      continue;
    }
    if (match === cursor) cursor = cursor.nextSibling;
    else move(parent, match, cursor);
    if (!equal && !match.isEqualNode(incoming)) morphNode(match, incoming);
  }
  while (cursor) {
    const following = cursor.nextSibling;
    cursor.remove();
    cursor = following;
  }
}

function liveIds(parent) {
  const byId = new Map();
  for (const child of parent.children) if (child.id) byId.set(child.id, child);
  return byId;
}

// Same kind of node, and for elements the same tag. An element with an id only matches that
// id: a new id is a new element.
function matchesByPosition(live, incoming) {
  if (live.nodeType !== incoming.nodeType) return false;
  if (live.nodeType !== Node.ELEMENT_NODE) return true;
  if (live.localName !== incoming.localName) return false;
  return !live.id || live.id === incoming.id;
}

// `incoming` is new when the live node equals the element that follows it.
function isInsertion(live, incoming) {
  const following = incoming.nodeType === Node.ELEMENT_NODE ? incoming.nextElementSibling : null;
  return following !== null && live.nodeType === Node.ELEMENT_NODE && live.isEqualNode(following);
}

// The live element equal to `incoming` just after `live`, when `live` was deleted.
function deletedUpTo(live, incoming) {
  if (live.nodeType !== Node.ELEMENT_NODE) return null;
  const following = live.nextElementSibling;
  return following && following.isEqualNode(incoming) ? following : null;
}

function removeBetween(from, to) {
  while (from && from !== to) {
    const following = from.nextSibling;
    from.remove();
    from = following;
  }
}

// Moves `node` before `reference`, keeping focus, iframes and playing media where the browser
// can (`moveBefore`, Chromium 133+).
function move(parent, node, reference) {
  if (typeof parent.moveBefore === 'function' && node.isConnected === parent.isConnected) {
    try {
      parent.moveBefore(node, reference);
      return;
    } catch {
      // Not movable in place (say, across documents): fall back to a plain insert.
    }
  }
  parent.insertBefore(node, reference);
}

function syncAttributes(live, next) {
  const form = live.localName === 'input' || live.localName === 'option';
  const scripted = changed.get(live);
  for (const name of next.getAttributeNames()) {
    const value = next.getAttribute(name);
    if (live.getAttribute(name) === value || keepsLiveValue(live, scripted, name, value)) continue;
    live.setAttribute(name, value);
    if (form) setProperty(live, name, value);
  }
  for (const name of live.getAttributeNames()) {
    if (next.hasAttribute(name) || keepsLiveValue(live, scripted, name, null)) continue;
    live.removeAttribute(name);
    if (form) setProperty(live, name, null);
  }
}

// Whether the live value of an attribute a script changed stays: it does unless the template
// changed it too. A changed `class` is merged here: the template's added and removed classes
// apply, the script's stay.
function keepsLiveValue(live, scripted, name, value) {
  if (!scripted || !scripted.has(name)) return false;
  const sent = scripted.get(name);
  if (sent === value) return true;
  if (name === 'class') {
    const before = new Set((sent ?? '').split(/\s+/).filter(Boolean));
    const now = new Set((value ?? '').split(/\s+/).filter(Boolean));
    for (const token of before) if (!now.has(token)) live.classList.remove(token);
    for (const token of now) if (!before.has(token)) live.classList.add(token);
    scripted.set(name, value);
    return true;
  }
  scripted.delete(name);
  return false;
}

// The template changed one of a form control's attributes: its live property follows.
function setProperty(live, name, value) {
  if (name === 'value' && live.type !== 'file') live.value = value ?? '';
  else if (name === 'checked') live.checked = value !== null;
  else if (name === 'selected') live.selected = value !== null;
}

function sameScript(live, next) {
  return (
    live.getAttribute('src') === next.getAttribute('src') &&
    live.getAttribute('type') === next.getAttribute('type') &&
    live.textContent === next.textContent
  );
}

// A node from the new page, ready for this document. Scripts parsed by DOMParser never run, so
// each one is made afresh.
function adopt(node) {
  if (node.nodeType !== Node.ELEMENT_NODE) return document.importNode(node, true);
  if (node.localName === 'script') return freshScript(node);
  const copy = document.importNode(node, true);
  for (const script of copy.querySelectorAll('script')) script.replaceWith(freshScript(script));
  return copy;
}

function freshScript(script) {
  const fresh = document.createElement('script');
  for (const { name, value } of script.attributes) fresh.setAttribute(name, value);
  fresh.textContent = script.textContent;
  return fresh;
}

// ---- <head> ------------------------------------------------------------------------------

// What identifies a head element across renders.
function headKey(element) {
  switch (element.localName) {
    case 'title':
      return 'title';
    case 'base':
      return 'base';
    case 'meta':
      for (const name of ['charset', 'name', 'property', 'http-equiv', 'itemprop']) {
        if (element.hasAttribute(name)) return `meta ${name}=${name === 'charset' ? '' : element.getAttribute(name)}`;
      }
      break;
    case 'link':
      return `link ${element.getAttribute('rel')} ${withoutTimestamp(element.getAttribute('href'))}`;
    case 'script':
      return element.hasAttribute('src')
        ? `script ${withoutTimestamp(element.getAttribute('src'))}`
        : `script ${element.getAttribute('type')} ${element.textContent}`;
    case 'style':
      return `style ${element.textContent}`;
  }
  return element.outerHTML;
}

// A stylesheet hotplate swapped carries `?t=`: it is still the same stylesheet.
function withoutTimestamp(href) {
  if (!href) return '';
  return dropTimestamp(new URL(href, location.href)).href;
}

// Makes `head` hold what `next` holds. Returns the stylesheets still loading and the elements
// to remove once the body has changed.
function mergeHead(head, next) {
  const live = new Map();
  for (const element of head.children) {
    const key = headKey(element);
    if (!live.has(key)) live.set(key, element);
  }
  const loading = [];
  let anchor = null;
  for (const element of next.children) {
    const key = headKey(element);
    const existing = live.get(key);
    if (existing) {
      live.delete(key);
      if (existing.localName === 'title' || existing.localName === 'meta') morphNode(existing, element);
      anchor = existing;
      continue;
    }
    const added = adopt(element);
    if (added.localName === 'link' && /\bstylesheet\b/.test(added.rel)) loading.push(loaded(added));
    if (anchor) anchor.after(added);
    else head.prepend(added);
    anchor = added;
  }
  // What is left was in the old page only. Runtime-owned elements (a stylesheet mid-swap)
  // share a key with a kept one and are not in the map.
  return { loading, stale: [...live.values()] };
}

function loaded(link) {
  return new Promise((resolve) => {
    link.addEventListener('load', resolve, { once: true });
    link.addEventListener('error', resolve, { once: true });
    setTimeout(resolve, 3000);
  });
}

// ---- focus and caret ---------------------------------------------------------------------

// Where the user is: the focused element, its caret, the window's scroll position.
function placeOf() {
  const active = document.activeElement;
  return { active, caret: caretOf(active), scrollX: window.scrollX, scrollY: window.scrollY };
}

// Puts focus and the caret back if a change moved them, and (with `scroll`) the scroll
// position.
function restorePlace({ active, caret, scrollX, scrollY }, scroll) {
  if (active && active !== document.body && active.isConnected && document.activeElement !== active) {
    active.focus({ preventScroll: true });
  }
  if (caret && active.isConnected && active.value === caret.value) {
    active.setSelectionRange(caret.start, caret.end, caret.direction);
  }
  if (scroll && (window.scrollX !== scrollX || window.scrollY !== scrollY)) window.scrollTo(scrollX, scrollY);
}

function caretOf(element) {
  if (!element || typeof element.selectionStart !== 'number') return null;
  try {
    return {
      value: element.value,
      start: element.selectionStart,
      end: element.selectionEnd,
      direction: element.selectionDirection,
    };
  } catch {
    return null;
  }
}
