//! The composition of the states the HTTP side and the pipeline share, each owned by its
//! concept: the resolved settings, the live connections ([`Live`]: hub, problems, inbox,
//! graph), the site ([`Site`]: renderer, checked renders, memo), the modules ([`Modules`]) and
//! the backend. Pieces receive the handles they use (see `serve`'s states), not this.

use crate::backend::Backend;
use crate::live::Live;
use crate::modules::Modules;
use crate::protocol;
use crate::settings::Settings;
use crate::site::Site;
use std::sync::Arc;

pub struct App {
    pub settings: Arc<Settings>,
    /// The hub, the overlay's problems, the inbox to the pipeline, the graph, the clock.
    pub live: Live,
    /// The renderer, the renders the pipeline checked, what requests remembered.
    pub site: Arc<Site>,
    /// What scripts and stylesheets become: compiled, analysed, resolved, packages.
    pub modules: Arc<Modules>,
    /// Where requests that are not hotplate's go, with `--proxy`.
    pub backend: Option<Arc<Backend>>,
}

impl App {
    pub fn new(settings: Settings) -> Arc<App> {
        let live = Live::new(&settings);
        let mut modules = Modules::new(&settings.root, settings.jsx.clone(), live.overlay());
        if settings.fast_refresh {
            modules = modules.with_fast_refresh(protocol::runtime_folder(&settings.boot));
        }
        Arc::new(App {
            site: Arc::new(Site::new(&settings)),
            modules: Arc::new(modules),
            backend: settings
                .proxy
                .as_ref()
                .map(|proxy| Arc::new(Backend::new(proxy, &settings.root, live.inbox.clone()))),
            live,
            settings: Arc::new(settings),
        })
    }
}
