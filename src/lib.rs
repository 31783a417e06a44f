//! hotplate: a development server that pushes the smallest correct update to the browser.
//!
//! Save a stylesheet and it is swapped in place; save a template, Markdown or data file and the
//! pages whose render read it morph in place; break a template and an overlay says where. [`architecture`] explains the design; the
//! modules follow its pipeline, upstream first:
//!
//! | module | stage |
//! |---|---|
//! | [`base`] | shared vocabulary: site paths, change batches, wire messages |
//! | [`cli`], [`settings`] | raw flags, then the resolved [`Settings`] every stage reads |
//! | [`watch`] | file-system events → coalesced, hashed [`base::ChangeBatch`]es |
//! | [`graph`] | what each served document, script and stylesheet depends on (client), and what each route's render read (server) |
//! | [`plan`] | a batch → the smallest correct [`plan::UpdatePlan`] |
//! | [`hub`] | server-sent events: ids, replay, fan-out |
//! | [`render`] | minijinja templates, Markdown content and data → HTML, and what each render read |
//! | [`rewrite`] | transforms on the way out: runtime injection, `import.meta.hot`, `?t=` |
//! | [`serve`] | the HTTP handler: guard → route → respond |
//! | [`pipeline`] | carries a batch through check → plan → hub → re-render → reload |
//! | [`problems`] | the errors the overlay shows, one per source |
//! | [`server`] | binds a port and wires the stages together |
//! | [`pool`] | the threads (with large stacks) where parsing, rendering and the pipeline run |
//! | [`remote`] | `hotplate send`: a custom event for every page of a running server, from another process |
//! | [`listen`] | the accept loop: `TCP_NODELAY`, header timeouts, running out of descriptors |
//!
//! The browser runtime is plain JavaScript in `client/`, embedded with `include_str!`.

#[doc = include_str!("../docs/architecture.md")]
pub mod architecture {}

#[doc = include_str!("../docs/compatibility.md")]
pub mod compatibility {}

pub mod app;
pub mod base;
pub mod cli;
pub mod error;
pub mod graph;
pub mod hotplate;
pub mod hub;
pub mod inbox;
pub mod layer;
pub mod listen;
pub mod pipeline;
pub mod plan;
pub mod pool;
pub mod problems;
pub mod remote;
pub mod render;
pub mod rewrite;
pub mod route;
pub mod serve;
pub mod server;
pub mod settings;
pub mod watch;

pub use app::App;
pub use error::FatalError;
pub use hotplate::{Handle, Hotplate};
pub use layer::{HotLayer, Page, Templates, layer};
pub use server::Server;
pub use settings::Settings;
