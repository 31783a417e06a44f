//! hotplate: a development server that pushes the smallest correct update to the browser.
//!
//! Save a stylesheet and it is swapped in place; save an ES module and it is replaced at its
//! `import.meta.hot` boundary; save a template and the pages whose render read it morph in
//! place, keeping what the user typed; break something and an overlay says where.
//!
//! # In an axum app
//!
//! Add the layer around your router. It injects the runtime into your HTML responses, serves
//! `/__hotplate/*`, and watches the folders you name:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use axum::{Router, routing::get};
//! use tower_http::services::ServeDir;
//!
//! let templates = std::sync::Arc::new(hotplate::Templates::new("templates"));
//! let hot = hotplate::layer()
//!     .assets("/static", "static") // served below: CSS swaps, import.meta.hot
//!     .templates("templates") // a save morphs the pages that used the template
//!     .build()?;
//! let app = Router::new()
//!     .route("/", get(move || async move { templates.render("index.html", ()) }))
//!     .nest_service("/static", ServeDir::new("static"))
//!     .layer(hot);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:4000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! In release builds the layer is off and costs nothing (see [`layer()`]). `examples/axum.rs`
//! is a whole app: `cargo run --release --example axum -- --port 4000`.
//!
//! # In front of a backend
//!
//! `hotplate serve --proxy http://127.0.0.1:3000 [--exec "python3 app.py"]` forwards what it
//! does not own to a backend in any language, puts the runtime into its pages and serves the
//! asset folders itself; with `--exec` it runs the backend too, restarting it when its sources
//! change. From Rust: [`Settings::proxy_to`] before [`Server::bind`].
//!
//! # A site of its own
//!
//! `hotplate serve ROOT` serves a folder of pages, templates and files; [`Server`] is the same
//! from Rust, and [`Hotplate::start`] the same without binding a port. `hotplate build ROOT`
//! writes it as a folder any static host serves; [`build::build`] is the same from Rust.
//!
//! # Inside
//!
//! [`architecture`] explains the design. The stages below are private: the public face is
//! what an embedding app and the binary use (the items above, [`settings`], [`cli`],
//! [`config`] and [`build`]).
//! hotplate's own integration tests and benches reach the stages through `hotplate::testing`,
//! built only with the `testing` feature. Upstream first:
//!
//! | module | what it owns |
//! |---|---|
//! | `base`, `protocol` | shared vocabulary (site paths, file kinds, change batches, messages); the wire protocol's names, defined once |
//! | `cli`, [`config`], `settings`, `error` | raw flags; `hotplate.toml` filling in what the flags leave out; the resolved [`Settings`] every stage reads; fatal errors |
//! | `watch` | file-system events → coalesced, hashed change batches; what is never reported |
//! | `graph`, `plan`, `hub`, `inbox`, `problems`, `pool` | what depends on what; the smallest update; SSE fan-out; the HTTP side's queue to the pipeline; the overlay's errors; the threads |
//! | `rewrite` | transforms: runtime injection, Content-Security-Policy, TypeScript and JSX, `import.meta.hot`, `?t=` |
//! | `site` | what a site is, with no HTTP: routes, rendering (templates, content, data), what is remembered |
//! | `modules` | what a script becomes, with no HTTP: compile and analysis caches, resolution, npm packages, CommonJS through rolldown |
//! | `backend` | the backend behind `--proxy`: whether it is up, and running it (`--exec`) |
//! | `live` | what ties the HTTP side, the pipeline and the browsers: hub, problems, inbox, graph, update clock |
//! | `app` | the composition of the owners' handles, which the HTTP side and the pipeline take apart |
//! | `serve` | the HTTP side as tower pieces: guard, runtime router, inject and module layers, site service, proxy service, a build served as it is (`--prod`) |
//! | [`build`] | `hotplate build`: pages crawled and rendered by `site`, scripts bundled by rolldown through `modules` and `rewrite`, stylesheets by lightningcss, fingerprints, precompression, written aside and swapped in; beside `serve`, not using it |
//! | `pipeline` | the graph's one writer: carries a batch through check → plan → hub → re-render → reload |
//! | [`hotplate`](Hotplate), [`layer`](layer()), [`Server`], `listen`, `remote` | composition roots: the watcher, pipeline and supervisor beside whatever serves; the same around an app's router; a port; `hotplate send` |
//!
//! The browser runtime is plain JavaScript in `client/`, embedded with `include_str!`.

#[doc = include_str!("../docs/architecture.md")]
pub mod architecture {}

#[doc = include_str!("../docs/compatibility.md")]
pub mod compatibility {}

mod app;
mod backend;
mod base;
pub mod build;
pub mod cli;
pub mod config;
mod error;
mod graph;
mod hotplate;
mod hub;
mod inbox;
mod layer;
mod listen;
mod live;
mod modules;
mod payload;
mod pipeline;
mod plan;
mod pool;
mod prepared;
mod problems;
mod protocol;
mod remote;
mod rewrite;
mod serve;
mod served;
mod server;
pub mod settings;
mod site;
mod watch;

pub use error::FatalError;
pub use hotplate::{Handle, Hotplate};
pub use layer::{Builder, Hot, HotLayer, Page, TemplateError, Templates, layer};
pub use remote::send_event;
pub use server::Server;
pub use settings::{Mode, Settings};
pub use watch::{Arming, ArmingSignal};

/// hotplate's insides, for its own integration tests and benches: not an API. Only built with
/// the `testing` feature, which the crate's dev-dependency on itself turns on.
#[cfg(feature = "testing")]
pub mod testing {
    pub use crate::app::App;

    pub mod base {
        pub use crate::base::*;
    }
    pub mod graph {
        pub use crate::graph::*;
    }
    pub mod hub {
        pub use crate::hub::*;
    }
    pub mod modules {
        pub use crate::modules::*;
    }
    pub mod payload {
        pub use crate::payload::*;
    }
    pub mod pipeline {
        pub use crate::pipeline::*;
    }
    pub mod plan {
        pub use crate::plan::*;
    }
    pub mod rewrite {
        pub use crate::rewrite::*;
    }
    pub mod serve {
        pub use crate::protocol::tag;
        pub use crate::serve::*;
    }
    pub mod server {
        pub use crate::server::*;
    }
    pub mod watch {
        pub use crate::watch::*;
    }
}
