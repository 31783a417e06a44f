//! The running site: resolved settings plus the state the stages share while serving.

use crate::base::Message;
use crate::graph::Graph;
use crate::hub::Hub;
use crate::problems::Problems;
use crate::render::Renderer;
use crate::rewrite::js::AnalysisCache;
use crate::settings::Settings;
use std::sync::{Arc, Mutex, RwLock};

/// What the server does with a message a page sent through `import.meta.hot.send(event,
/// data)`. The default logs it.
pub type CustomHandler = Arc<dyn Fn(&str, &serde_json::Value) + Send + Sync>;

pub struct App {
    pub settings: Settings,
    pub renderer: Renderer,
    /// Filled by the serve stage as it answers, read by the plan stage.
    pub graph: Mutex<Graph>,
    pub hub: Hub,
    /// The errors the browsers' overlay shows.
    pub problems: Problems,
    /// What each script names and accepts, parsed once per version of the file.
    pub scripts: AnalysisCache,
    custom: RwLock<CustomHandler>,
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
            graph: Mutex::new(Graph::new()),
            hub,
            problems: Problems::default(),
            scripts: AnalysisCache::default(),
            custom: RwLock::new(Arc::new(|event, data| {
                tracing::info!("page sent {event}: {data}");
            })),
            settings,
        })
    }

    pub fn graph(&self) -> std::sync::MutexGuard<'_, Graph> {
        self.graph.lock().expect("graph lock")
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

    /// Passes a page's message to the handler.
    pub fn receive_custom(&self, event: &str, data: &serde_json::Value) {
        let handler = self.custom.read().expect("custom handler").clone();
        handler(event, data);
    }
}
