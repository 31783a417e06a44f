// The hub's event types (docs/architecture.md, "Wire protocol"), and how to listen to all of
// them on one EventSource. Used by the SharedWorker (worker.js) and, without it, by a tab
// itself (client.js).

export const TYPES = ['hello', 'update', 'prune', 'html', 'asset', 'reload', 'error', 'error-clear', 'custom', 'change'];

// Calls `deliver(type, data)` for every hub message on `source` (data: its JSON text).
export function listen(source, deliver) {
  for (const type of TYPES) {
    source.addEventListener(type, (event) => {
      // A dropped connection fires a plain `error` event without data: not a hub message.
      if (event instanceof MessageEvent) deliver(type, event.data);
    });
  }
}
