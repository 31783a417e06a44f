//! What ties the HTTP side, the pipeline and the browsers together while hotplate runs: the
//! hub that tells the browsers, the overlay's problems, the inbox to the pipeline, the graph
//! (read by the HTTP side, written by the pipeline alone), the clock of hot updates, the
//! modules a hot update made ready ([`Prepared`]), what a backend or an app served as each page
//! ([`Served`]), and what pages send back ([`Messages`]).
//!
//! [`Live`] is a handle: cloning it is cheap, and each piece that answers requests or
//! reports problems holds one instead of the whole application.

use crate::base::Message;
use crate::graph::Graph;
use crate::hub::Hub;
use crate::inbox::Inbox;
use crate::prepared::Prepared;
use crate::problems::{Overlay, Problems};
use crate::served::Served;
use crate::settings::Settings;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Clone)]
pub struct Live {
    /// Server-sent events to every page.
    pub hub: Arc<Hub>,
    /// The errors the browsers' overlay shows.
    pub problems: Arc<Problems>,
    /// What the HTTP side learnt and asked for, on its way to the pipeline.
    pub inbox: Arc<Inbox>,
    /// Read by the HTTP side as it answers and by the plan stage; written only by the
    /// pipeline, from what the HTTP side sends through the [`Inbox`].
    graph: Arc<RwLock<Graph>>,
    /// The last update's timestamp (see [`Live::next_timestamp`]).
    last_timestamp: Arc<AtomicU64>,
    /// What pages send with `import.meta.hot.send(event, data)`.
    pub messages: Arc<Messages>,
    /// Told when `hotplate.toml` changed: the server restarts with it.
    pub config_changed: Arc<tokio::sync::Notify>,
    /// The modules of the last hot update, rewritten by the pipeline before its message left:
    /// the module layer answers their `import()`s from memory.
    pub prepared: Arc<Prepared>,
    /// What a backend or an app served as each page, and how to ask it again.
    pub served: Arc<Served>,
}

impl Live {
    pub fn new(settings: &Settings) -> Live {
        Live {
            hub: Arc::new(Hub::new(
                settings.boot.clone(),
                settings.version.clone(),
                settings.keep_alive,
                settings.retry,
            )),
            problems: Arc::default(),
            inbox: Arc::default(),
            graph: Arc::default(),
            last_timestamp: Arc::default(),
            messages: Arc::default(),
            config_changed: Arc::default(),
            prepared: Arc::default(),
            served: Arc::default(),
        }
    }

    /// Sends a `custom` event to every page: `import.meta.hot.on(event, cb)` listeners get
    /// `data`.
    pub fn send_custom(&self, event: &str, data: serde_json::Value) {
        self.hub.publish(Message::Custom {
            event: event.to_string(),
            data,
        });
    }

    /// The overlay, for a piece that only reports problems.
    pub fn overlay(&self) -> Overlay {
        Overlay {
            problems: self.problems.clone(),
            hub: self.hub.clone(),
        }
    }

    /// The graph, to read.
    pub fn graph(&self) -> RwLockReadGuard<'_, Graph> {
        self.graph.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The graph, to write: for the pipeline alone (see [`crate::inbox`]).
    pub(crate) fn graph_mut(&self) -> RwLockWriteGuard<'_, Graph> {
        self.graph.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The timestamp of a new hot update: the wall clock in milliseconds, but always later
    /// than the last one. Two updates in the same millisecond must not share one, or the second
    /// re-import (`?t=`) would find the first's module instance and never run.
    pub fn next_timestamp(&self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_millis() as u64;
        let previous = self
            .last_timestamp
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(now.max(last + 1))
            })
            .expect("the update closure always returns Some");
        now.max(previous + 1)
    }
}

/// What the server does with a message a page sent through `import.meta.hot.send(event,
/// data)`. The default logs it.
pub type CustomHandler = Arc<dyn Fn(&str, &serde_json::Value) + Send + Sync>;

/// What pages send: to the server's handler, and to the processes that follow them
/// (`/__hotplate/received`).
pub struct Messages {
    custom: RwLock<CustomHandler>,
    /// Every message pages send, for other processes following `/__hotplate/received`.
    received: tokio::sync::broadcast::Sender<Arc<(String, serde_json::Value)>>,
}

impl Default for Messages {
    fn default() -> Self {
        Messages {
            custom: RwLock::new(Arc::new(|event, data| {
                tracing::info!("page sent {event}: {data}");
            })),
            received: tokio::sync::broadcast::channel(256).0,
        }
    }
}

impl Messages {
    /// Handles the messages pages send with `import.meta.hot.send(event, data)` from now on.
    pub fn on_custom(&self, handler: impl Fn(&str, &serde_json::Value) + Send + Sync + 'static) {
        *self.custom.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(handler);
    }

    /// Passes a page's message to the handler, and to the processes following what pages send.
    pub fn receive_custom(&self, event: &str, data: &serde_json::Value) {
        let _ = self
            .received
            .send(Arc::new((event.to_string(), data.clone())));
        let handler = self
            .custom
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        handler(event, data);
    }

    /// The messages pages send from now on (`import.meta.hot.send`), as `(event, data)`.
    pub fn follow_received(
        &self,
    ) -> tokio::sync::broadcast::Receiver<Arc<(String, serde_json::Value)>> {
        self.received.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_timestamps_always_increase() {
        let live = Live::new(&Settings::for_root(std::env::temp_dir()).unwrap());
        let stamps: Vec<u64> = (0..1000).map(|_| live.next_timestamp()).collect();
        assert!(stamps.windows(2).all(|w| w[1] > w[0]), "{stamps:?}");
    }

    #[test]
    fn clones_share_one_clock_and_one_graph() {
        let live = Live::new(&Settings::for_root(std::env::temp_dir()).unwrap());
        let other = live.clone();
        let first = live.next_timestamp();
        assert!(other.next_timestamp() > first);
        other.graph_mut().record_render("/", Default::default());
        assert!(Arc::ptr_eq(&live.graph, &other.graph));
    }
}
