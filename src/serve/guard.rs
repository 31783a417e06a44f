//! Request guards, checked before anything is looked up.
//!
//! 1. [`check_host`]: the `Host` header must name this server (localhost, a loopback address,
//!    the bound address, or a name given with `--allowed-host`). A page on another domain that
//!    re-points its DNS at 127.0.0.1 (DNS rebinding) is refused.
//! 2. [`check_origin`]: only this server's own origin (scheme, host and port) may use the hub.
//!
//! Paths are confined to the root by `route::confine`, below HTTP: a refusal there
//! becomes a [`Rejection::Path`] here.

use crate::settings::Settings;
use crate::site::route::Refused;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;

/// Why a request is refused. Each maps to a fixed status with a body that says why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error(
        "Host {0:?} is not this server. If you reach hotplate by that name on purpose, start it with --allowed-host {0}."
    )]
    ForeignHost(String),
    #[error("requests without a Host header are refused")]
    MissingHost,
    #[error("Host {0:?} is not a host name and port")]
    BadHost(String),
    #[error("Origin {0:?} may not subscribe to this server's updates")]
    ForeignOrigin(String),
    #[error(transparent)]
    Path(#[from] Refused),
}

impl Rejection {
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::ForeignHost(_)
            | Rejection::MissingHost
            | Rejection::ForeignOrigin(_)
            | Rejection::Path(Refused::Traversal(_)) => StatusCode::FORBIDDEN,
            Rejection::Path(Refused::BadEncoding) | Rejection::BadHost(_) => {
                StatusCode::BAD_REQUEST
            }
            Rejection::Path(Refused::Hidden) => StatusCode::NOT_FOUND,
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (
            self.status(),
            [(header::CACHE_CONTROL, "no-cache")],
            format!("{}: {self}\n", self.status()),
        )
            .into_response()
    }
}

/// Refuses a `Host` that is not this server.
pub fn check_host(settings: &Settings, headers: &HeaderMap) -> Result<(), Rejection> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or(Rejection::MissingHost)?;
    // An authority and nothing else: `evil.example/.localhost` ends like a local name, and a
    // `Location` rewritten from it would lead away.
    let authority = host.parse::<axum::http::uri::Authority>().ok();
    if authority.is_none_or(|a| a.as_str() != host || host.contains('@')) {
        return Err(Rejection::BadHost(host.to_string()));
    }
    if is_allowed_host(settings, host_name(host)) {
        Ok(())
    } else {
        Err(Rejection::ForeignHost(host.to_string()))
    }
}

/// Refuses an `Origin` that is not this server's own: `http`, a host that is this server (as
/// for `Host`), and the port the request came in on (the `Host` header's). A page on another
/// port of localhost is another site. No `Origin` (a same-origin GET) passes.
pub fn check_origin(settings: &Settings, headers: &HeaderMap) -> Result<(), Rejection> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("");
    let foreign = || Rejection::ForeignOrigin(origin.to_string());
    let authority = origin.strip_prefix("http://").ok_or_else(foreign)?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let same_port = port_of(authority) == port_of(host);
    if same_port && is_allowed_host(settings, host_name(authority)) {
        Ok(())
    } else {
        Err(foreign())
    }
}

/// The port of a `Host` value or an origin's authority; 80 when none is written.
fn port_of(authority: &str) -> Option<u16> {
    let after_name = match authority.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or("", |(_, after)| after),
        None => authority.rsplit_once(':').map_or("", |(_, port)| port),
    };
    match after_name.trim_start_matches(':') {
        "" => Some(80),
        port => port.parse().ok(),
    }
}

/// The host part of a `Host` value: `localhost:4000` → `localhost`, `[::1]:80` → `::1`.
fn host_name(host: &str) -> String {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        }
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn is_allowed_host(settings: &Settings, name: String) -> bool {
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    if settings
        .allowed_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&name))
    {
        return true;
    }
    match name.parse::<IpAddr>() {
        // An address literal cannot be rebound, but it must be this machine's: the bound
        // address, a loopback address, or (listening on every interface) one of its own.
        Ok(ip) => {
            ip.is_loopback()
                || ip == settings.host
                || (settings.host.is_unspecified() && settings.interfaces.contains(&ip))
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    fn settings() -> Settings {
        let mut s = Settings::for_root(std::env::temp_dir()).unwrap();
        s.allowed_hosts = vec!["dev.example".into()];
        s
    }

    #[test]
    fn local_names_and_addresses_are_this_server() {
        let s = settings();
        for host in [
            "localhost:4000",
            "127.0.0.1:4000",
            "[::1]:4000",
            "LOCALHOST",
            "app.localhost:1",
            "dev.example:4000",
        ] {
            assert_eq!(
                check_host(&s, &headers(header::HOST, host)),
                Ok(()),
                "{host}"
            );
        }
    }

    #[test]
    fn other_names_are_refused_as_dns_rebinding() {
        let s = settings();
        for host in [
            "evil.example:4000",
            "localhost.evil.example",
            "192.168.1.9:4000",
        ] {
            assert!(
                matches!(
                    check_host(&s, &headers(header::HOST, host)),
                    Err(Rejection::ForeignHost(_))
                ),
                "{host}"
            );
        }
        for host in [
            "evil.example/.localhost",
            "evil.example/.localhost:4000",
            "user@localhost:4000",
            "localhost:4000/x",
            "localhost:4000?x",
            "local host",
        ] {
            assert_eq!(
                check_host(&s, &headers(header::HOST, host)),
                Err(Rejection::BadHost(host.into())),
                "{host}"
            );
        }
        assert_eq!(
            check_host(&s, &HeaderMap::new()),
            Err(Rejection::MissingHost)
        );
    }

    #[test]
    fn an_exposed_server_accepts_its_own_addresses_but_no_others() {
        let mut s = settings();
        s.host = "0.0.0.0".parse().unwrap();
        s.interfaces = vec!["192.168.1.9".parse().unwrap()];
        assert_eq!(
            check_host(&s, &headers(header::HOST, "192.168.1.9:4000")),
            Ok(())
        );
        for foreign in ["evil.example", "8.8.8.8:4000", "192.168.1.10:4000"] {
            assert!(
                check_host(&s, &headers(header::HOST, foreign)).is_err(),
                "{foreign}"
            );
        }
    }

    /// A request from a page, with its `Host` and `Origin`.
    fn from_page(host: &str, origin: &str) -> HeaderMap {
        let mut h = headers(header::HOST, host);
        h.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        h
    }

    #[test]
    fn the_hub_accepts_only_this_servers_own_origin() {
        let s = settings();
        assert_eq!(check_origin(&s, &HeaderMap::new()), Ok(()));
        for (host, origin) in [
            ("localhost:4000", "http://localhost:4000"),
            ("127.0.0.1:4000", "http://localhost:4000"),
            ("[::1]:4000", "http://[::1]:4000"),
            ("localhost", "http://localhost"),
            ("dev.example:4000", "http://dev.example:4000"),
        ] {
            assert_eq!(
                check_origin(&s, &from_page(host, origin)),
                Ok(()),
                "{origin}"
            );
        }
        for origin in [
            "https://evil.example",
            "http://evil.example:4000",
            "null",
            // Another site on this machine: another port.
            "http://localhost:9999",
            "http://localhost",
            "https://localhost:4000",
            "http://8.8.8.8:4000",
        ] {
            assert!(
                check_origin(&s, &from_page("localhost:4000", origin)).is_err(),
                "{origin}"
            );
        }
    }

    #[test]
    fn an_exposed_server_refuses_origins_on_addresses_not_its_own() {
        let mut s = settings();
        s.host = "0.0.0.0".parse().unwrap();
        s.interfaces = vec!["192.168.1.9".parse().unwrap()];
        assert_eq!(
            check_origin(
                &s,
                &from_page("192.168.1.9:4000", "http://192.168.1.9:4000")
            ),
            Ok(())
        );
        for origin in ["http://203.0.113.7:4000", "http://10.0.0.1:4000"] {
            assert!(
                check_origin(&s, &from_page("192.168.1.9:4000", origin)).is_err(),
                "{origin}"
            );
        }
    }
}
