//! A started hotplate: the watcher and the pipeline running beside whatever answers HTTP.
//!
//! [`Hotplate::start`] builds the [`App`], arms the watcher (dev mode) and spawns the tasks
//! that carry its batches, and what the HTTP side sends, through the pipeline. Nothing is
//! bound: `hotplate serve` binds a port and serves [`Hotplate::router`] ([`crate::Server`]),
//! an app adds [`crate::layer()`] to its own router. The tasks stop when the `Hotplate` is
//! dropped; [`Hotplate::stop`] also waits until a backend it runs is gone.

use crate::app::App;
use crate::backend::supervise;
use crate::base::Message;
use crate::pipeline;
use crate::settings::Settings;
use crate::watch;
use std::sync::Arc;
use tokio::task::JoinSet;

pub struct Hotplate {
    app: Arc<App>,
    arming: Option<watch::ArmingSignal>,
    /// The pipeline, the supervisor and the arming report; aborted on drop.
    tasks: JoinSet<()>,
}

impl Hotplate {
    /// Starts watching (dev mode) and the pipeline. Must be called within a tokio runtime.
    pub fn start(settings: Settings) -> Hotplate {
        let app = App::new(settings);
        let mut tasks = JoinSet::new();
        let mut arming = None;
        if app.settings.is_dev() {
            let watcher = watch::start(&app.settings);
            let signal = watcher.arming();
            arming = Some(signal.clone());
            let started = std::time::Instant::now();
            tasks.spawn(async move {
                match signal.wait().await {
                    watch::Arming::Armed { folders } => {
                        tracing::info!("watching {folders} folders ({:?})", started.elapsed());
                    }
                    watch::Arming::Failed(err) => tracing::error!(
                        "cannot watch for changes ({err}); pages are served but will not update. \
                         On Linux, raise fs.inotify.max_user_watches, or start with --poll."
                    ),
                    watch::Arming::Pending => {}
                }
            });
            // The batches' receiver moves into the task: the watcher stops when it ends.
            tasks.spawn(pipeline::run(app.clone(), Some(watcher.batches)));
            if let Some(job) = app
                .backend
                .clone()
                .and_then(|backend| supervise::Job::of(&app.settings, backend, app.live.overlay()))
            {
                tasks.spawn(supervise::run(job));
            }
        }
        Hotplate { app, arming, tasks }
    }

    /// The state the HTTP side and the pipeline share (for hotplate's own tests).
    #[cfg(feature = "testing")]
    pub fn app(&self) -> Arc<App> {
        self.app.clone()
    }

    /// The resolved settings it runs with.
    pub fn settings(&self) -> &Settings {
        &self.app.settings
    }

    /// The state the HTTP side and the pipeline share.
    pub(crate) fn state(&self) -> &Arc<App> {
        &self.app
    }

    /// Stops the watcher, the pipeline and a backend hotplate runs, and resolves once the
    /// backend's processes are gone. Dropping a `Hotplate` stops the same, without waiting.
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
        supervise::stopped().await;
    }

    /// Resolves once the watcher is armed: a change made after that is never missed. `None`
    /// in production, which does not watch.
    pub fn arming(&self) -> Option<watch::ArmingSignal> {
        self.arming.clone()
    }

    /// The site's whole HTTP surface (guard, runtime, pages, files), to bind or call in memory.
    /// Resolves when `hotplate.toml` changed (in dev, where the watcher sees it).
    pub async fn config_changed(&self) {
        self.app.live.config_changed.notified().await;
    }

    pub fn router(&self) -> axum::Router {
        crate::serve::router(self.app.clone())
    }

    /// A handle that triggers updates from the program itself.
    pub fn handle(&self) -> Handle {
        Handle(self.app.clone())
    }
}

/// Sends updates to the pages and hears from them: for an app that knows better than the file
/// system when something changed (a database row, a config reload).
#[derive(Clone)]
pub struct Handle(Arc<App>);

impl Handle {
    /// Every page reloads.
    pub fn reload(&self, reason: &str) {
        self.0.live.hub.publish(Message::reload_all(reason));
    }

    /// The pages showing one of `routes` (URL paths, or patterns such as `/blog/:slug`) fetch
    /// themselves again and morph into the answer, keeping their state.
    pub fn html(&self, routes: &[&str]) {
        self.0.live.hub.publish(Message::Html {
            routes: routes.iter().map(|r| r.to_string()).collect(),
            timestamp: self.0.live.next_timestamp(),
            patches: Vec::new(),
            timing: None,
        });
    }

    /// A `custom` event for every page: `import.meta.hot.on(event, cb)` gets `data`.
    pub fn send(&self, event: &str, data: serde_json::Value) {
        self.0.live.send_custom(event, data);
    }

    /// Handles what pages send with `import.meta.hot.send(event, data)` from now on.
    pub fn on_message(&self, handler: impl Fn(&str, &serde_json::Value) + Send + Sync + 'static) {
        self.0.live.messages.on_custom(handler);
    }
}
