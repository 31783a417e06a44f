//! Starting and running a server: the one place where the stages are wired together.
//!
//! [`Server::bind`] takes the port (or the next free one) and starts hotplate
//! ([`Hotplate::start`]: the app, the watcher and the pipeline). [`Server::run`] serves HTTP
//! until Ctrl-C.
//!
//! ```text
//! watch ──batches──> pipeline::react: check scripts ──> plan(graph) ──> render check ──> hub ──SSE──> browsers
//! http  ──> serve (sends what it learns, and invalidations, to the pipeline's inbox)
//! ```

#[cfg(feature = "testing")]
use crate::app::App;
use crate::error::FatalError;
use crate::hotplate::Hotplate;
use crate::listen;
use crate::settings::Settings;
use crate::watch;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};
use tokio::net::TcpListener;

/// How many ports after the requested one are tried when it is taken.
const PORT_ATTEMPTS: u16 = 20;

pub struct Server {
    /// Started at bind: the watcher arms itself in the background (see [`Server::arming`]).
    hotplate: Hotplate,
    listener: TcpListener,
    addr: SocketAddr,
    /// The port asked for, when another one had to be used.
    requested_port: Option<u16>,
    /// Settles the settings again when `hotplate.toml` changes (see [`Server::restart_with`]).
    reload: Option<Reload>,
}

/// What settles the settings again: the command line's flags over `hotplate.toml` as it now is.
pub type Reload = Arc<dyn Fn() -> Result<Settings, FatalError> + Send + Sync>;

impl Server {
    /// Listens on the configured address. A taken port is fatal with `strict_port`; otherwise
    /// the next free port is used.
    pub async fn bind(settings: Settings) -> Result<Server, FatalError> {
        let host = settings.host;
        let first = settings.port;
        let attempts = if settings.strict_port || first == 0 {
            1
        } else {
            PORT_ATTEMPTS
        };
        let mut last_error = None;
        for offset in 0..attempts {
            let Some(port) = first.checked_add(offset) else {
                break;
            };
            let addr = SocketAddr::new(host, port);
            match TcpListener::bind(addr).await {
                Ok(listener) => {
                    let addr = listener
                        .local_addr()
                        .map_err(|source| FatalError::Bind { addr, source })?;
                    if let Some(proxy) = &settings.proxy
                        && proxy.is_at(addr, &settings.interfaces).await
                    {
                        return Err(FatalError::ProxyToItself {
                            url: proxy.origin.clone(),
                            addr,
                        });
                    }
                    return Ok(Server {
                        hotplate: Hotplate::start(settings),
                        listener,
                        addr,
                        requested_port: (offset > 0).then_some(first),
                        reload: None,
                    });
                }
                Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => last_error = Some(err),
                Err(source) => return Err(FatalError::Bind { addr, source }),
            }
        }
        match last_error {
            Some(_) if attempts == 1 => Err(FatalError::PortTaken {
                host: host.to_string(),
                port: first,
            }),
            Some(source) => Err(FatalError::Bind {
                addr: SocketAddr::new(host, first),
                source,
            }),
            None => Err(FatalError::PortTaken {
                host: host.to_string(),
                port: first,
            }),
        }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Resolves once the watcher is armed: a change made after that is never missed. `None` in
    /// production, which does not watch.
    pub fn arming(&self) -> Option<watch::ArmingSignal> {
        self.hotplate.arming()
    }

    /// The state the HTTP side and the pipeline share (for hotplate's own tests).
    #[cfg(feature = "testing")]
    pub fn app(&self) -> Arc<App> {
        self.hotplate.app()
    }

    /// The resolved settings it serves with.
    pub fn settings(&self) -> &Settings {
        self.hotplate.settings()
    }

    /// The URL to open.
    pub fn url(&self) -> String {
        url(self.addr)
    }

    /// What the terminal shows once the server listens.
    pub fn banner(&self) -> String {
        banner(self.settings(), self.addr, self.requested_port)
    }

    /// Serves until Ctrl-C, or until the process is asked to stop (`SIGTERM`, `SIGHUP`): a
    /// backend hotplate runs is stopped with it.
    pub async fn run(self) -> Result<(), FatalError> {
        self.run_until(stop_requested()).await
    }

    /// Restarts in place when `hotplate.toml` changes: `reload` settles the settings again,
    /// a new hotplate starts with them on the same listener, and the open pages reload into it.
    /// Settings that do not resolve (a bad key) are logged, and the server goes on as it was.
    pub fn restart_with(
        mut self,
        reload: impl Fn() -> Result<Settings, FatalError> + Send + Sync + 'static,
    ) -> Server {
        self.reload = Some(Arc::new(reload));
        self
    }

    /// Serves until `shutdown` resolves.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), FatalError> {
        let Server {
            mut hotplate,
            listener,
            addr,
            reload,
            ..
        } = self;
        let routes: listen::Routes = Arc::new(RwLock::new(hotplate.router()));
        let timeout = hotplate.settings().header_timeout;
        // Not a graceful shutdown: event streams never end by themselves, and a dev server
        // should stop at once. Stopping the hotplate stops the watcher, the pipeline and a
        // backend it runs (waiting for its processes to be gone).
        let serving = listen::serve(listener, routes.clone(), timeout);
        tokio::pin!(serving);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut serving => break,
                () = &mut shutdown => break,
                () = hotplate.config_changed(), if reload.is_some() => {
                    let Some(reload) = &reload else { continue };
                    hotplate = restart(hotplate, reload, &routes, addr).await;
                }
            }
        }
        hotplate.stop().await;
        Ok(())
    }
}

/// `hotplate`, or a new one started with the settings `reload` settles now, serving in its
/// place: the open pages are told to reload, and the old one stops.
async fn restart(
    hotplate: Hotplate,
    reload: &Reload,
    routes: &listen::Routes,
    addr: SocketAddr,
) -> Hotplate {
    // Reading the file and resolving the settings (a host name, the root) block: not here.
    let settle = reload.clone();
    let settled = tokio::task::spawn_blocking(move || settle()).await;
    let settings = match settled {
        Ok(Ok(settings)) => settings,
        Ok(Err(err)) => {
            tracing::error!("{err}; hotplate goes on with the settings it had");
            return hotplate;
        }
        Err(err) => {
            tracing::error!("{err}; hotplate goes on with the settings it had");
            return hotplate;
        }
    };
    if settings.host != addr.ip() || (settings.port != addr.port() && settings.port != 0) {
        tracing::warn!(
            "{} asks for {}:{}; stop and start hotplate to listen there (it stays on {addr})",
            crate::config::FILE,
            settings.host,
            settings.port
        );
    }
    let next = Hotplate::start(settings);
    *routes
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = next.router();
    hotplate
        .handle()
        .reload(&format!("{} changed", crate::config::FILE));
    hotplate.stop().await;
    tracing::info!(
        "{} changed: hotplate restarted with it",
        crate::config::FILE
    );
    next
}

/// Resolves when the process is asked to stop: Ctrl-C, or `SIGTERM`/`SIGHUP` on Unix.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hangup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            _ = hangup.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The URL to open: `localhost` for loopback and unspecified addresses.
fn url(addr: SocketAddr) -> String {
    let ip = addr.ip();
    if ip.is_loopback() || ip.is_unspecified() {
        format!("http://localhost:{}/", addr.port())
    } else {
        format!("http://{addr}/")
    }
}

/// The addresses other machines reach an exposed server by, as Vite lists its Network URLs:
/// every interface's when it listens on all of them, else the one it listens on. None for a
/// server on loopback.
fn network_addresses(settings: &Settings, addr: SocketAddr) -> Vec<IpAddr> {
    let ip = addr.ip();
    if ip.is_loopback() {
        Vec::new()
    } else if ip.is_unspecified() {
        settings
            .interfaces
            .iter()
            .copied()
            .filter(|address| address.is_ipv4() == ip.is_ipv4() || ip.is_ipv6())
            .collect()
    } else {
        vec![ip]
    }
}

/// The startup banner for a server listening on `addr`; `requested_port` when another port
/// had to be taken.
pub fn banner(settings: &Settings, addr: SocketAddr, requested_port: Option<u16>) -> String {
    let mode = if settings.is_dev() {
        "dev"
    } else {
        "production"
    };
    let mut lines = vec![format!(
        "\n  hotplate {}  {mode}\n",
        env!("CARGO_PKG_VERSION")
    )];
    lines.push(format!("  ➜ Local:   {}", url(addr)));
    for address in network_addresses(settings, addr) {
        lines.push(format!(
            "  ➜ Network: {}",
            url(SocketAddr::new(address, addr.port()))
        ));
    }
    lines.push(format!("  ➜ Root:    {}", settings.root.display()));
    if let Some(proxy) = &settings.proxy {
        let started = match &proxy.exec {
            Some(command) => format!(" (hotplate runs `{command}`)"),
            None => String::new(),
        };
        lines.push(format!("  ➜ Backend: {}{started}", proxy.origin));
        for mount in settings.asset_mounts() {
            let folder = mount
                .folder
                .strip_prefix(&settings.root)
                .unwrap_or(&mount.folder);
            lines.push(format!(
                "  ➜ Assets:  {} → {}/",
                mount.prefix.as_deref().unwrap_or("/"),
                folder.display()
            ));
        }
        if !proxy.restart_on.is_empty() && proxy.exec.is_some() {
            lines.push(format!(
                "  ➜ Restart: on {}",
                proxy.restart_on.written().join(", ")
            ));
        }
    }
    if let Some(port) = requested_port {
        lines.push(format!(
            "  ➜ Port {port} was in use, so hotplate took {}",
            addr.port()
        ));
    }
    if settings.is_exposed() {
        lines.push(format!(
            "  ⚠ Listening on {}: anyone on your network can read these files.",
            addr.ip()
        ));
    }
    lines.join("\n") + "\n"
}
