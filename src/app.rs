//! The running site: resolved settings plus the state the stages share while serving.

use crate::backend::Backend;
use crate::base::Message;
use crate::graph::Graph;
use crate::hub::Hub;
use crate::inbox::Inbox;
use crate::optimize::Optimizer;
use crate::problems::Problems;
use crate::render::{RenderCache, Renderer};
use crate::resolve::Resolver;
use crate::rewrite::js::AnalysisCache;
use crate::rewrite::ts::TransformCache;
use crate::settings::Settings;
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
    pub inbox: Inbox,
    pub hub: Hub,
    /// The errors the browsers' overlay shows.
    pub problems: Problems,
    /// What each script names and accepts, parsed once per version of the file.
    pub scripts: AnalysisCache,
    /// TypeScript and JSX compiled, once per version of the file and its JSX settings.
    pub transforms: TransformCache,
    /// What specifiers name on disk, and the JSX settings of each `tsconfig.json`.
    pub resolver: Resolver,
    /// CommonJS packages converted into ES modules.
    pub optimizer: Optimizer,
    /// Resolved routes and small static files, remembered between requests.
    pub memo: crate::serve::memo::Memo,
    custom: RwLock<CustomHandler>,
    /// Every message pages send, for other processes following `/__hotplate/received`.
    received: tokio::sync::broadcast::Sender<Arc<(String, serde_json::Value)>>,
    /// The last update's timestamp (see [`App::next_timestamp`]).
    last_timestamp: AtomicU64,
    /// The lockfile's hash, which versions the URLs of npm packages ([`crate::serve::npm`]).
    npm_key: RwLock<String>,
    /// What the import maps of the documents served so far map: hotplate leaves those
    /// specifiers to the page.
    import_mapped: RwLock<std::collections::BTreeSet<String>>,
    /// Where requests that are not hotplate's go, with `--proxy`.
    pub backend: Option<Backend>,
}

impl App {
    pub fn new(settings: Settings) -> Arc<App> {
        let hub = Hub::new(
            settings.boot.clone(),
            settings.version.clone(),
            settings.keep_alive,
            settings.retry,
        );
        Arc::new(App {
            renderer: Renderer::new(&settings),
            pages: RenderCache::default(),
            graph: RwLock::new(Graph::new()),
            inbox: Inbox::default(),
            hub,
            problems: Problems::default(),
            scripts: AnalysisCache::default(),
            transforms: TransformCache::default(),
            resolver: Resolver::new(settings.jsx.clone()),
            optimizer: Optimizer::new(&settings.root),
            memo: Default::default(),
            last_timestamp: AtomicU64::new(0),
            npm_key: RwLock::new(crate::serve::npm::lock_key(&settings.root)),
            import_mapped: RwLock::default(),
            backend: settings
                .proxy
                .as_ref()
                .map(|proxy| Backend::new(proxy, &settings.root)),
            received: tokio::sync::broadcast::channel(256).0,
            custom: RwLock::new(Arc::new(|event, data| {
                tracing::info!("page sent {event}: {data}");
            })),
            settings,
        })
    }

    /// The key in the URLs of npm packages: a hash of the lockfile.
    pub fn npm_key(&self) -> String {
        self.npm_key
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reads the lockfile again (it changed).
    pub fn refresh_npm_key(&self) {
        let key = crate::serve::npm::lock_key(&self.settings.root);
        *self
            .npm_key
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = key;
    }

    /// Remembers what a document's import map maps.
    pub fn note_import_map(&self, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        self.import_mapped
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(keys.iter().cloned());
    }

    /// Whether a page's import map maps the bare `specifier`: by its own name, or by a prefix
    /// ending in `/` (`lib/` maps `lib/x.js`).
    pub fn is_import_mapped(&self, specifier: &str) -> bool {
        let mapped = self
            .import_mapped
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        mapped.contains(specifier)
            || mapped
                .iter()
                .any(|key| key.ends_with('/') && specifier.starts_with(key.as_str()))
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
        *self.custom.write().expect("custom handler") = Arc::new(handler);
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
