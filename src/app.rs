//! The running site: resolved settings plus the state the stages share while serving.

use crate::backend::Backend;
use crate::base::Message;
use crate::graph::Graph;
use crate::hub::Hub;
use crate::inbox::Inbox;
use crate::modules::Modules;
use crate::problems::{Overlay, Problems};
use crate::settings::Settings;
use crate::site::render::{RenderCache, Renderer};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the server does with a message a page sent through `import.meta.hot.send(event,
/// data)`. The default logs it.
pub type CustomHandler = Arc<dyn Fn(&str, &serde_json::Value) + Send + Sync>;

pub struct App {
    pub settings: Settings,
    pub renderer: Renderer,
    /// The renders the pipeline checked, for the hot refreshes that follow.
    pub pages: RenderCache,
    /// Read by the serve stage as it answers and by the plan stage; written only by the
    /// pipeline, from what the serve stage sends through the [`Inbox`].
    graph: RwLock<Graph>,
    /// What the HTTP side learnt and asked for, on its way to the pipeline.
    pub inbox: Arc<Inbox>,
    pub hub: Arc<Hub>,
    /// The errors the browsers' overlay shows.
    pub problems: Arc<Problems>,
    /// What scripts and stylesheets become: compiled, analysed, resolved, packages.
    pub modules: Modules,
    /// Resolved routes and small static files, remembered between requests.
    pub memo: crate::site::memo::Memo,
    custom: RwLock<CustomHandler>,
    /// Every message pages send, for other processes following `/__hotplate/received`.
    received: tokio::sync::broadcast::Sender<Arc<(String, serde_json::Value)>>,
    /// The last update's timestamp (see [`App::next_timestamp`]).
    last_timestamp: AtomicU64,
    /// Where requests that are not hotplate's go, with `--proxy`.
    pub backend: Option<Arc<Backend>>,
}

impl App {
    pub fn new(settings: Settings) -> Arc<App> {
        let hub = Arc::new(Hub::new(
            settings.boot.clone(),
            settings.version.clone(),
            settings.keep_alive,
            settings.retry,
        ));
        let inbox = Arc::<Inbox>::default();
        let overlay = Overlay {
            problems: Arc::default(),
            hub: hub.clone(),
        };
        let modules = Modules::new(&settings.root, settings.jsx.clone(), overlay.clone());
        Arc::new(App {
            renderer: Renderer::new(&settings),
            pages: RenderCache::default(),
            graph: RwLock::new(Graph::new()),
            inbox: inbox.clone(),
            hub,
            problems: overlay.problems,
            modules,
            memo: Default::default(),
            last_timestamp: AtomicU64::new(0),
            backend: settings
                .proxy
                .as_ref()
                .map(|proxy| Arc::new(Backend::new(proxy, &settings.root, inbox))),
            received: tokio::sync::broadcast::channel(256).0,
            custom: RwLock::new(Arc::new(|event, data| {
                tracing::info!("page sent {event}: {data}");
            })),
            settings,
        })
    }

    /// The overlay, for a piece that only reports problems.
    pub fn overlay(&self) -> Overlay {
        Overlay {
            problems: self.problems.clone(),
            hub: self.hub.clone(),
        }
    }

    /// The graph, to read.
    pub fn graph(&self) -> std::sync::RwLockReadGuard<'_, Graph> {
        self.graph
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The graph, to write: for the pipeline alone (see [`crate::inbox`]).
    pub(crate) fn graph_mut(&self) -> std::sync::RwLockWriteGuard<'_, Graph> {
        self.graph
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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

    /// Sends a `custom` event to every page: `import.meta.hot.on(event, cb)` listeners get
    /// `data`.
    pub fn send_custom(&self, event: &str, data: serde_json::Value) {
        self.hub.publish(Message::Custom {
            event: event.to_string(),
            data,
        });
    }

    /// Handles the messages pages send with `import.meta.hot.send(event, data)` from now on.
    pub fn on_custom(&self, handler: impl Fn(&str, &serde_json::Value) + Send + Sync + 'static) {
        *self
            .custom
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(handler);
    }

    /// Passes a page's message to the handler, and to the processes following what pages send.
    pub fn receive_custom(&self, event: &str, data: &serde_json::Value) {
        let _ = self
            .received
            .send(Arc::new((event.to_string(), data.clone())));
        let handler = self
            .custom
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
        let app = App::new(Settings::for_root(std::env::temp_dir()).unwrap());
        let stamps: Vec<u64> = (0..1000).map(|_| app.next_timestamp()).collect();
        assert!(stamps.windows(2).all(|w| w[1] > w[0]), "{stamps:?}");
    }
}
