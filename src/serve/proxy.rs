//! The proxy service (`--proxy`): the mapped asset folders are served by hotplate, everything
//! else by the backend, through a streaming reverse proxy.
//!
//! 1. **Assets.** A URL under a mapped prefix (`/static`) that names a file of its folder is
//!    served from disk ([`files`]); the module layer around this service gives its scripts
//!    `import.meta.hot` and its stylesheets swap in place. A URL there that names no file goes
//!    to the backend, which may serve more under that prefix.
//! 2. **Wait.** A request that arrives while hotplate starts (or restarts) the backend waits
//!    for it (`Backend::settled`), up to [`Proxy::patience`](crate::settings::Proxy).
//! 3. **Forward.** The request goes to the backend as it came, streaming: same method, path,
//!    query, headers and `Host`, without hop-by-hop headers, with `X-Forwarded-For`,
//!    `X-Forwarded-Host`, `X-Forwarded-Proto` and a `Via` that names this hotplate (a request
//!    that comes back with it went round a loop, and gets `508`). An upgrade (WebSocket) is forwarded too, and
//!    once the backend switches protocols the two connections are joined byte for byte.
//! 4. **Answer.** The backend's answer streams back without its hop-by-hop headers; a
//!    `Location` on the backend's origin is moved to hotplate's, and a cookie's `Domain` naming
//!    the backend's host is dropped, so the cookie is hotplate's host's. The inject layer
//!    around this service puts the runtime into its documents.
//! 5. **Down.** When the backend does not answer, a navigation gets a small page that waits
//!    for it and refreshes itself over the event stream when it is back (the pipeline hears
//!    `Input::BackendUp`); other requests get a `502` that says why.
//!    A page's hot refresh waits for the backend to come back first (an autoreloading backend
//!    restarts on the very change that asked for the refresh).

use super::Pages;
use super::{document, files, guard, inject};
use crate::backend::Backend;
use crate::backend::State;
use crate::settings::Proxy;
use crate::site::route::{self, Target};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header, request};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;

/// What the proxy service reads: the backend, and what serving the mapped asset folders reads.
pub struct Proxied {
    pub pages: Arc<Pages>,
    pub backend: Arc<Backend>,
}

/// Answers one request: an asset of a mapped folder, or the backend's answer.
pub async fn handle(AxumState(proxied): AxumState<Arc<Proxied>>, req: Request) -> Response {
    let pages = &proxied.pages;
    match mapped_file(&pages.settings, req.method(), req.uri().path()).await {
        Ok(Some((file, site))) => files::serve(pages, req, file, &site, false).await,
        Ok(None) => forward(&proxied, req).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// The file of a mapped asset folder that `url_path` names, if any (located on a blocking
/// thread).
async fn mapped_file(
    settings: &Arc<crate::settings::Settings>,
    method: &Method,
    url_path: &str,
) -> Result<Option<(std::path::PathBuf, crate::base::SitePath)>, guard::Rejection> {
    if !(method == Method::GET || method == Method::HEAD)
        || route::mount_of(settings, url_path).is_none()
    {
        return Ok(None);
    }
    let (settings, url_path) = (settings.clone(), url_path.to_string());
    let located = tokio::task::spawn_blocking(move || route::locate(&settings, &url_path));
    match located.await {
        Ok(Ok(Target::File { path, site })) => Ok(Some((path, site))),
        Ok(Ok(_)) | Err(_) => Ok(None),
        Ok(Err(refused)) => Err(refused.into()),
    }
}

/// Forwards `req` to the backend and streams its answer back (see the module's docs).
async fn forward(proxied: &Proxied, mut req: Request) -> Response {
    let (backend, settings) = (&proxied.backend, &proxied.pages.settings);
    let Some(proxy) = settings.proxy.as_ref() else {
        return (StatusCode::NOT_FOUND, "no backend to forward to\n").into_response();
    };
    if backend.is_supervised() {
        let state = backend.settled(proxy.patience).await;
        if state != State::Up {
            return unavailable(proxy, req.headers(), &state);
        }
    }
    if came_through(req.headers(), &settings.boot) {
        return loop_detected(proxy);
    }
    let upgrade = is_upgrade(req.headers()).then(|| hyper::upgrade::on(&mut req));
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let (parts, body) = req.into_parts();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let refresh = parts.headers.contains_key(document::REFRESH);
    // A bodiless request can be sent again once the backend is back.
    let again = refresh.then(|| parts.clone());
    let mut answer = backend
        .send(outgoing(
            &parts,
            body,
            &settings.boot,
            proxy,
            peer,
            upgrade.is_some(),
        ))
        .await;
    if let (Err(err), Some(parts)) = (&answer, again)
        && err.is_connect()
    {
        // A page refreshing itself after a save: the backend may be restarting on that very
        // save (an autoreloader). Wait for it, then ask again.
        backend.went_down(describe(err));
        if backend.up_within(proxy.patience).await {
            answer = backend
                .send(outgoing(
                    &parts,
                    Body::empty(),
                    &settings.boot,
                    proxy,
                    peer,
                    false,
                ))
                .await;
        }
    }
    match answer {
        Ok(response) => incoming(response, proxy, &host, upgrade),
        Err(err) => {
            let why = describe(&err);
            if err.is_connect() {
                backend.went_down(why.clone());
            } else {
                tracing::warn!("{} {}: {why}", parts.method, parts.uri);
            }
            let state = match backend.state() {
                State::Up => State::Down {
                    why,
                    output: Vec::new(),
                },
                state => state,
            };
            unavailable(proxy, &parts.headers, &state)
        }
    }
}

/// What a failed request to the backend says, shortest cause first.
fn describe(err: &hyper_util::client::legacy::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    let mut deepest = err.to_string();
    while let Some(cause) = source {
        deepest = cause.to_string();
        source = cause.source();
    }
    deepest
}

/// Headers that describe one connection, not the message: never forwarded either way.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Drops the hop-by-hop headers, and those the `Connection` header names.
fn drop_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
}

/// Whether the request asks to switch protocols (a WebSocket handshake).
fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
}

/// The name this hotplate gives itself in the `Via` header of what it forwards: a request that
/// comes back carrying it went round in a loop.
fn via_name(boot: &str) -> String {
    format!("hotplate-{boot}")
}

/// Whether a request already went through this hotplate's proxy (its `Via` names it).
fn came_through(headers: &HeaderMap, boot: &str) -> bool {
    let name = via_name(boot);
    headers
        .get_all(header::VIA)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|hop| hop.split_whitespace().nth(1) == Some(name.as_str()))
}

/// The answer to a request that came back to this hotplate through its own proxy.
fn loop_detected(proxy: &Proxy) -> Response {
    tracing::warn!(
        "a request came back through the proxy to {}: it leads to hotplate itself",
        proxy.origin
    );
    (
        StatusCode::LOOP_DETECTED,
        format!(
            "hotplate: --proxy {} leads back to hotplate itself, so the request went round in a \
             loop. Point --proxy at your backend's own address and port.\n",
            proxy.origin
        ),
    )
        .into_response()
}

/// The request as the backend gets it (see the module's docs).
fn outgoing(
    parts: &request::Parts,
    body: Body,
    boot: &str,
    proxy: &Proxy,
    peer: Option<std::net::IpAddr>,
    upgrade: bool,
) -> axum::http::Request<Body> {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = parts.headers.clone();
    let upgrade_to = headers.get(header::UPGRADE).cloned();
    drop_hop_by_hop(&mut headers);
    // hotplate already told the browser to go on (`100 Continue`) when it read the body.
    headers.remove(header::EXPECT);
    if let (true, Some(protocol)) = (upgrade, upgrade_to) {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, protocol);
    }
    if let Some(ip) = peer {
        let forwarded = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
            Some(earlier) => format!("{earlier}, {ip}"),
            None => ip.to_string(),
        };
        if let Ok(value) = HeaderValue::from_str(&forwarded) {
            headers.insert("x-forwarded-for", value);
        }
    }
    if !headers.contains_key("x-forwarded-host")
        && let Some(host) = parts.headers.get(header::HOST).cloned()
    {
        headers.insert("x-forwarded-host", host);
    }
    if !headers.contains_key("x-forwarded-proto") {
        headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    }
    if let Ok(hop) = HeaderValue::from_str(&format!("1.1 {}", via_name(boot))) {
        headers.append(header::VIA, hop);
    }
    let mut req = axum::http::Request::new(body);
    *req.method_mut() = parts.method.clone();
    *req.uri_mut() = format!("{}{path}", proxy.origin)
        .parse()
        .unwrap_or_else(|_| proxy.origin.parse().expect("the origin parsed at start"));
    *req.headers_mut() = headers;
    req
}

/// The backend's answer as the browser gets it (see the module's docs). After a `101`, the
/// browser's connection and the backend's are joined.
fn incoming(
    mut response: axum::http::Response<hyper::body::Incoming>,
    proxy: &Proxy,
    host: &str,
    upgrade: Option<hyper::upgrade::OnUpgrade>,
) -> Response {
    let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
    if switching && let Some(browser) = upgrade {
        let backend = hyper::upgrade::on(&mut response);
        tokio::spawn(async move {
            match tokio::try_join!(browser, backend) {
                Ok((browser, backend)) => {
                    let (mut browser, mut backend) = (TokioIo::new(browser), TokioIo::new(backend));
                    let _ = tokio::io::copy_bidirectional(&mut browser, &mut backend).await;
                }
                Err(err) => tracing::debug!("upgrade failed: {err}"),
            }
        });
    }
    let (mut parts, body) = response.into_parts();
    let upgrade_to = parts.headers.get(header::UPGRADE).cloned();
    drop_hop_by_hop(&mut parts.headers);
    if let (true, Some(protocol)) = (switching, upgrade_to) {
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        parts.headers.insert(header::UPGRADE, protocol);
    }
    if let Some(location) = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| moved_location(proxy, v, host))
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        parts.headers.insert(header::LOCATION, location);
    }
    let cookies: Vec<HeaderValue> = parts
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(
            |v| match v.to_str().ok().and_then(|c| local_cookie(proxy, c)) {
                Some(cookie) => HeaderValue::from_str(&cookie).unwrap_or_else(|_| v.clone()),
                None => v.clone(),
            },
        )
        .collect();
    if !cookies.is_empty() {
        parts.headers.remove(header::SET_COOKIE);
        for cookie in cookies {
            parts.headers.append(header::SET_COOKIE, cookie);
        }
    }
    Response::from_parts(parts, Body::new(body))
}

/// The host names that reach the backend: its own, and for a loopback backend every loopback
/// name.
fn backend_hosts(proxy: &Proxy) -> Vec<String> {
    let host = proxy
        .authority
        .rsplit_once(':')
        .map_or(proxy.authority.as_str(), |(host, _)| host)
        .to_ascii_lowercase();
    let loopback = ["localhost", "127.0.0.1", "[::1]", "0.0.0.0", "::1"];
    if loopback.contains(&host.as_str()) {
        loopback.iter().map(|h| h.to_string()).collect()
    } else {
        vec![host]
    }
}

/// `location` moved to hotplate's origin (`host`) when it points at the backend's; `None`
/// when it points elsewhere (or nowhere absolute).
fn moved_location(proxy: &Proxy, location: &str, host: &str) -> Option<String> {
    let rest = location
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .map(|_| &location[7..])
        .or_else(|| {
            location
                .get(..8)
                .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
                .map(|_| &location[8..])
        })?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let (name, port) = match authority.rsplit_once(':') {
        Some((name, port)) if !port.contains(']') => (name, port.parse::<u16>().ok()?),
        _ => (authority, 80),
    };
    let ours = port == proxy.port()
        && backend_hosts(proxy)
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name));
    ours.then(|| format!("http://{host}{path}"))
}

/// A `Set-Cookie` value without a `Domain` attribute naming the backend's host (the browser
/// would refuse it for hotplate's, or send it to the wrong one); `None` when it has none.
fn local_cookie(proxy: &Proxy, cookie: &str) -> Option<String> {
    let hosts = backend_hosts(proxy);
    let mut dropped = false;
    let kept: Vec<&str> = cookie
        .split(';')
        .filter(|attribute| {
            let Some((name, value)) = attribute.split_once('=') else {
                return true;
            };
            let backends = name.trim().eq_ignore_ascii_case("domain")
                && hosts
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(value.trim().trim_start_matches('.')));
            dropped |= backends;
            !backends
        })
        .collect();
    dropped.then(|| kept.iter().map(|a| a.trim()).collect::<Vec<_>>().join("; "))
}

/// The answer while the backend does not answer: for a navigation, a page that waits for it
/// (the runtime goes in like any document's, and the page reloads itself once the backend is
/// back); otherwise a `502` that says why.
fn unavailable(proxy: &Proxy, headers: &HeaderMap, state: &State) -> Response {
    let (why, output) = match state {
        State::Up => ("it did not answer".to_string(), &[][..]),
        State::Starting => match &proxy.exec {
            Some(command) => (
                format!("hotplate started it (`{command}`), and it has not answered yet"),
                &[][..],
            ),
            None => ("it has not answered yet".to_string(), &[][..]),
        },
        State::Down { why, output } => (why.clone(), output.as_slice()),
    };
    let retry = [
        (header::RETRY_AFTER, "1"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    if !inject::wants_html(headers) {
        return (
            StatusCode::BAD_GATEWAY,
            retry,
            format!(
                "hotplate: the backend at {} is not answering: {why}\n",
                proxy.origin
            ),
        )
            .into_response();
    }
    let output = if output.is_empty() {
        String::new()
    } else {
        format!(
            "<p>The last lines it printed:</p><pre id=\"hotplate-backend-output\">{}</pre>",
            document::escape(&output.join("\n"))
        )
    };
    let page = format!(
        r#"<!doctype html><html {waiting}><head><meta charset=utf-8><title>Waiting for the backend</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;margin:3rem auto;max-width:48rem;padding:0 1rem;color:#222}}h1{{font-size:1.3rem}}code,pre{{font:13px/1.45 ui-monospace,monospace}}pre{{background:#f6f6f6;padding:1rem;overflow:auto}}</style>
</head><body><h1>Waiting for the backend…</h1>
<p>hotplate forwards this page to <code>{origin}</code>, which is not answering: <span id="hotplate-backend-why">{why}</span>.</p>{output}
<p>This page reloads by itself as soon as the backend answers.</p></body></html>"#,
        origin = document::escape(&proxy.origin),
        why = document::escape(&why),
        waiting = crate::protocol::WAITING_ATTRIBUTE,
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        retry,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy() -> Proxy {
        Proxy::to("http://127.0.0.1:3000").unwrap()
    }

    #[test]
    fn a_location_on_the_backends_origin_moves_to_hotplates() {
        let proxy = proxy();
        let moved = |l| moved_location(&proxy, l, "localhost:4000");
        assert_eq!(
            moved("http://127.0.0.1:3000/done?x=1").as_deref(),
            Some("http://localhost:4000/done?x=1")
        );
        assert_eq!(
            moved("http://localhost:3000").as_deref(),
            Some("http://localhost:4000")
        );
        assert_eq!(moved("/relative"), None);
        assert_eq!(moved("http://127.0.0.1:3001/other-port"), None);
        assert_eq!(moved("https://example.com/"), None);
    }

    #[test]
    fn a_cookie_for_the_backends_host_becomes_hotplates() {
        let proxy = proxy();
        assert_eq!(
            local_cookie(&proxy, "sid=1; Domain=127.0.0.1; Path=/; HttpOnly").as_deref(),
            Some("sid=1; Path=/; HttpOnly")
        );
        assert_eq!(
            local_cookie(&proxy, "sid=1; domain=.localhost").as_deref(),
            Some("sid=1")
        );
        assert_eq!(local_cookie(&proxy, "sid=1; Domain=example.com"), None);
        assert_eq!(local_cookie(&proxy, "sid=1; Path=/"), None);
    }

    #[test]
    fn hop_by_hop_headers_stay_on_their_connection() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-private"),
        );
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        drop_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key(header::CONTENT_TYPE));
    }
}
