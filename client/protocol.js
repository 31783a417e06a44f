// @ts-check
// The wire protocol between hotplate's server and this runtime: every name both sides write.
// src/protocol.rs defines them; its tests check that each constant here has the same name and
// value there, and that no other file in client/ spells one of them itself (they import them
// from here). docs/architecture.md, "Wire protocol", says what each event carries.

// hotplate's own URLs.
export const PREFIX = '/__hotplate/';
export const EVENTS_URL = '/__hotplate/events';
export const SEND_URL = '/__hotplate/send';

// The hub's event types.
export const EVENT_TYPES = ['hello', 'update', 'prune', 'html', 'asset', 'reload', 'error', 'error-clear', 'custom', 'change'];

// A page's request for itself after a save, and the fingerprint of what its backend made.
export const REFRESH_HEADER = 'x-hotplate-refresh';
export const SOURCE_HEADER = 'x-hotplate-source';

// What a served document carries.
export const SINCE_META = 'hotplate-since';
export const SOURCE_META = 'hotplate-source';
export const POSTED_META = 'hotplate-posted';
export const RENDER_META = 'hotplate-render';
export const IMPORTS_BY_URL_META = 'hotplate-imports-by-url';
export const WAITING_ATTRIBUTE = 'data-hotplate-waiting';
export const KEEP_ATTRIBUTE = 'data-hotplate-keep';
export const ERROR_MESSAGE_ID = 'hotplate-error-message';

// Query parameters: a hot-updated version (`?t=`), a file asked for as a module (`?import`).
export const TIMESTAMP_PARAM = 't';
export const IMPORT_PARAM = 'import';

// The extensions of scripts; anything else imported from a script is asked for `?import`.
export const SCRIPT_EXTENSIONS = ['js', 'mjs', 'ts', 'tsx', 'mts', 'cts', 'jsx'];

/**
 * Sets `t=<timestamp>` in `url`'s query (other parameters, such as `v=`, are kept).
 * @param {URL} url
 * @param {number} timestamp
 * @returns {URL} the same `url`
 */
export function setTimestamp(url, timestamp) {
  url.searchParams.set(TIMESTAMP_PARAM, String(timestamp));
  return url;
}

/**
 * Removes `t=` from `url`'s query: the same file, whichever version.
 * @param {URL} url
 * @returns {URL} the same `url`
 */
export function dropTimestamp(url) {
  url.searchParams.delete(TIMESTAMP_PARAM);
  return url;
}

/**
 * Whether `path` names a script by its extension.
 * @param {string} path
 */
export function isScriptPath(path) {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 && SCRIPT_EXTENSIONS.includes(name.slice(dot + 1).toLowerCase());
}

// Calls `deliver(type, data, id)` for every hub message on `source` (data: its JSON text; id:
// the stream's last event id, `<boot>-<seq>`, which a message without an id of its own leaves
// as it was).
/**
 * @param {EventSource} source
 * @param {(type: string, data: string, id: string) => void} deliver
 */
export function listen(source, deliver) {
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (event) => {
      if (event instanceof MessageEvent) deliver(type, event.data, event.lastEventId);
      // A dropped connection fires a plain `error` event, without data: not the hub's `error`.
      else if (type === 'error') deliver('disconnect', 'null', '');
    });
  }
}

// The URL of the hub's stream for a page that was served when `since` (`<boot>-<seq>`) was the
// newest message: the hub replays everything after it, so nothing sent while the page loaded
// is lost. Reconnects say where they left off themselves (the Last-Event-ID header wins).
/** @param {string} since */
export function streamUrl(since) {
  return since ? `${EVENTS_URL}?last=${encodeURIComponent(since)}` : EVENTS_URL;
}

/**
 * `<boot>-<seq>` as { boot, seq }, or null.
 * @param {string} id
 * @returns {{ boot: string, seq: number } | null}
 */
export function parseId(id) {
  const dash = id ? id.lastIndexOf('-') : -1;
  if (dash < 0) return null;
  const seq = Number(id.slice(dash + 1));
  return Number.isInteger(seq) ? { boot: id.slice(0, dash), seq } : null;
}
