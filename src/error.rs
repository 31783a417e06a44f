//! Errors at the library boundary, split by consequence.
//!
//! A [`FatalError`] stops the server before or while it starts: the root is missing, the port
//! is taken. Everything that can go wrong later (a template that does not render, a file that
//! vanished) is a runtime error owned by its stage, such as [`crate::site::render::RenderError`]: it
//! is reported to the terminal and the browser, and serving goes on.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum FatalError {
    #[error("the site root {path} is not a folder I can read: {source}")]
    RootMissing {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("hotplate::layer(): the folder {folder} (for {what}) {why}")]
    BadLayerFolder {
        folder: PathBuf,
        what: String,
        why: String,
    },
    #[error("--host {host:?} is neither an IP address nor a name that resolves to one")]
    BadHost { host: String },
    #[error(
        "port {port} is already in use on {host}; pick another with --port, or drop --strict-port to let hotplate find a free one"
    )]
    PortTaken { host: String, port: u16 },
    #[error(
        "--proxy {url} is hotplate's own address ({addr}): every request would come back to hotplate in a loop. Point --proxy at your backend, and give hotplate another --port"
    )]
    ProxyToItself { url: String, addr: SocketAddr },
    #[error("--proxy {url:?}: {why}")]
    BadProxy { url: String, why: String },
    #[error("--assets {spec:?}: {why}")]
    BadAssets { spec: String, why: String },
    #[error("--restart-on {glob:?} is not a glob: {source}")]
    BadGlob {
        glob: String,
        source: globset::Error,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A `hotplate.toml` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", .path.display(), .line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}
