//! Resolved settings: the one value every stage receives.
//!
//! [`Settings::resolve`] checks the raw [`ServeArgs`] once (the root exists, the host parses)
//! and settles everything derived from them: the canonical root, the listen address, the
//! per-start `version` and boot id.

use crate::cli::ServeArgs;
use crate::error::FatalError;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// Development (hot updates) or production (no client, long-lived caching).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Dev,
    Prod,
}

/// A folder hotplate watches for an app it is embedded in ([`crate::layer`]), instead of a
/// whole site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Canonical, under the root.
    pub folder: PathBuf,
    /// `Some("/static")`: the app serves the folder's files at that URL prefix (scripts and
    /// stylesheets get hot updates). `None`: templates, which only the server reads.
    pub prefix: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// The site root, canonical (symlinks resolved): every served file must lie under it.
    pub root: PathBuf,
    pub host: IpAddr,
    /// 0 asks the OS for a free port.
    pub port: u16,
    pub strict_port: bool,
    pub open: bool,
    pub mode: Mode,
    /// `Some(interval)` watches by polling.
    pub poll: Option<Duration>,
    /// Host names accepted besides localhost, loopback addresses and the bound address.
    pub allowed_hosts: Vec<String>,
    /// This machine's own addresses, loopback excepted: a server listening on every interface
    /// may be reached by any of them (and is listed by them in the banner).
    pub interfaces: Vec<IpAddr>,
    /// Random per start; templates see it as `{{ version }}` for cache busting.
    pub version: String,
    /// Random per start; prefixes every SSE event id so a client can tell a restart.
    pub boot: String,
    /// How often the hub sends a keep-alive comment.
    pub keep_alive: Duration,
    /// How long the browser waits before reconnecting (the SSE `retry:` field).
    pub retry: Duration,
    /// How long a connection may take to send a request's head, and how long a kept-alive
    /// connection may stay idle.
    pub header_timeout: Duration,
    /// How many template instructions one render may run before it stops with an error: far
    /// more than a real page needs (the example site's take a few thousand), far fewer than a
    /// runaway loop.
    pub render_fuel: u64,
    /// Empty for a site (the root is served by its layout). For an app, the folders watched
    /// under the root, and where the app serves them.
    pub mounts: Vec<Mount>,
}

impl Settings {
    /// Validates raw flags and settles them into settings.
    pub fn resolve(args: &ServeArgs) -> Result<Settings, FatalError> {
        let mut settings = Settings::for_root(&args.root)?;
        settings.host = parse_host(&args.host)?;
        settings.port = args.port;
        settings.strict_port = args.strict_port;
        settings.open = args.open;
        settings.mode = if args.prod { Mode::Prod } else { Mode::Dev };
        settings.poll = args
            .poll
            .then(|| Duration::from_millis(args.poll_interval.max(10)));
        settings.allowed_hosts = args.allowed_hosts.clone();
        Ok(settings)
    }

    /// Defaults for serving `root` in dev mode on 127.0.0.1 and a free port (what tests use).
    pub fn for_root(root: impl Into<PathBuf>) -> Result<Settings, FatalError> {
        let path = root.into();
        let root = std::fs::canonicalize(&path)
            .and_then(|p| {
                if p.is_dir() {
                    Ok(p)
                } else {
                    Err(std::io::Error::new(
                        std::io::ErrorKind::NotADirectory,
                        "not a folder",
                    ))
                }
            })
            .map_err(|source| FatalError::RootMissing { path, source })?;
        Ok(Settings {
            root,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            strict_port: false,
            open: false,
            mode: Mode::Dev,
            poll: None,
            allowed_hosts: Vec::new(),
            interfaces: interface_addresses(),
            version: random_token(),
            boot: random_token(),
            keep_alive: Duration::from_secs(15),
            retry: Duration::from_millis(500),
            header_timeout: Duration::from_secs(5),
            render_fuel: 50_000_000,
            mounts: Vec::new(),
        })
    }

    pub fn is_dev(&self) -> bool {
        self.mode == Mode::Dev
    }

    /// Whether the server listens beyond this machine.
    pub fn is_exposed(&self) -> bool {
        !self.host.is_loopback()
    }
}

fn parse_host(host: &str) -> Result<IpAddr, FatalError> {
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(ip);
    }
    (host, 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .map(|addr| addr.ip())
        .ok_or_else(|| FatalError::BadHost {
            host: host.to_string(),
        })
}

/// The addresses of this machine's network interfaces, loopback excepted. None when they
/// cannot be read: an exposed server is then reached by its bound address or a name.
fn interface_addresses() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces
            .iter()
            .filter(|interface| !interface.is_loopback())
            .map(|interface| interface.ip())
            .collect(),
        Err(err) => {
            tracing::warn!("cannot list this machine's network addresses: {err}");
            Vec::new()
        }
    }
}

/// Eight random hex digits.
fn random_token() -> String {
    format!("{:08x}", fastrand::u32(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_may_be_addresses_or_names() {
        assert_eq!(
            parse_host("0.0.0.0").unwrap(),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        );
        assert_eq!(parse_host("[::1]").unwrap().to_string(), "::1");
        assert!(parse_host("localhost").unwrap().is_loopback());
        assert!(matches!(
            parse_host("no such host!"),
            Err(FatalError::BadHost { .. })
        ));
    }

    #[test]
    fn a_missing_root_is_fatal() {
        let err = Settings::for_root("/definitely/not/here").unwrap_err();
        assert!(matches!(err, FatalError::RootMissing { .. }));
        assert!(err.to_string().contains("/definitely/not/here"));
    }

    #[test]
    fn every_start_gets_its_own_version_and_boot() {
        let dir = std::env::temp_dir();
        let a = Settings::for_root(&dir).unwrap();
        let b = Settings::for_root(&dir).unwrap();
        assert_ne!(a.version, b.version);
        assert_ne!(a.boot, b.boot);
        assert_eq!(a.version.len(), 8);
    }
}
