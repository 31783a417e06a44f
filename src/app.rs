//! The running site: resolved settings plus the state the stages share while serving.

use crate::graph::Graph;
use crate::hub::Hub;
use crate::render::Renderer;
use crate::settings::Settings;
use std::sync::{Arc, Mutex};

pub struct App {
    pub settings: Settings,
    pub renderer: Renderer,
    /// Filled by the serve stage as it answers, read by the plan stage.
    pub graph: Mutex<Graph>,
    pub hub: Hub,
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
            settings,
        })
    }

    pub fn graph(&self) -> std::sync::MutexGuard<'_, Graph> {
        self.graph.lock().expect("graph lock")
    }
}
