// Where an update's time goes, in the page's own performance timeline: DevTools' Performance
// panel shows these under Timings, and `performance.getEntriesByName(name)` returns them.
//
//   hotplate:server      a measure: from the moment the server's watcher got the first event
//                        of the save to the moment its pipeline handed the message to the hub
//                        (sent with `update` and `html` messages, as `timing`)
//   hotplate:transport   a measure: from there to the moment the SharedWorker (or this tab,
//                        without one) got the message
//   hotplate:worker-hop  a measure: from the moment the SharedWorker got a message from the
//                        hub to the moment this tab got it from the worker
//   hotplate:received    a mark: a message reached this tab (detail: { type, bytes }, bytes
//                        being the size of its JSON)
//   hotplate:applied     a mark: an update is on the page (detail: { type, path }), where type
//                        is `css` (rules put in place), `css-fetched` (a stylesheet swapped
//                        once the new one loaded), `js` (a module re-imported and accepted),
//                        `patch` (a pushed patch applied) or `morph` (a fetched page morphed)
//
// The server's side of the same save (watcher, pipeline, hub) is logged with
// RUST_LOG=hotplate=debug.

/**
 * @param {string} type the message's event type
 * @param {number} bytes the length of its JSON
 * @param {number | undefined} relayedAt when the worker got it (ms since the epoch)
 * @param {{ noticed: number, sent: number } | undefined} timing the server's, in µs since
 *   the epoch
 */
export function markReceived(type, bytes, relayedAt, timing) {
  const now = performance.now();
  // Instants from the epoch, on this page's clock (never after now: the clocks are the
  // machine's, but a server elsewhere has its own).
  const local = (epochMs) => Math.min(epochMs - performance.timeOrigin, now);
  if (timing) {
    const sent = local(timing.sent / 1000);
    performance.measure('hotplate:server', {
      start: Math.min(local(timing.noticed / 1000), sent),
      end: sent,
      detail: { type },
    });
    performance.measure('hotplate:transport', {
      start: sent,
      end: typeof relayedAt === 'number' ? Math.max(local(relayedAt), sent) : now,
      detail: { type },
    });
  }
  if (typeof relayedAt === 'number') {
    performance.measure('hotplate:worker-hop', {
      start: local(relayedAt),
      end: now,
      detail: { type },
    });
  }
  performance.mark('hotplate:received', { startTime: now, detail: { type, bytes } });
}

/**
 * @param {string} type what was applied: css, css-fetched, js, patch or morph
 * @param {string} [path] the stylesheet, module or page
 */
export function markApplied(type, path = location.pathname) {
  performance.mark('hotplate:applied', { detail: { type, path } });
}
