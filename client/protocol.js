// The hub's event types (docs/architecture.md, "Wire protocol"), and how to listen to all of
// them on one EventSource. Used by the SharedWorker (worker.js) and, without it, by a tab
// itself (client.js).

export const TYPES = ['hello', 'update', 'prune', 'html', 'asset', 'reload', 'error', 'error-clear', 'custom', 'change'];

// Calls `deliver(type, data, id)` for every hub message on `source` (data: its JSON text; id:
// the stream's last event id, `<boot>-<seq>`, which a message without an id of its own leaves
// as it was).
export function listen(source, deliver) {
  for (const type of TYPES) {
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
export function streamUrl(since) {
  return since ? `/__hotplate/events?last=${encodeURIComponent(since)}` : '/__hotplate/events';
}

// `<boot>-<seq>` as { boot, seq }, or null.
export function parseId(id) {
  const dash = id ? id.lastIndexOf('-') : -1;
  if (dash < 0) return null;
  const seq = Number(id.slice(dash + 1));
  return Number.isInteger(seq) ? { boot: id.slice(0, dash), seq } : null;
}
