//! `hotplate serve --proxy`: what a backend's pages and requests get through hotplate.
//!
//! The backend here is a small axum app the test starts on `127.0.0.1:0`. It compresses, streams
//! and sets policies the way real backends do, whatever the request asked for.
//! - Its documents get the runtime, compressed (gzip, brotli, deflate, zstd) or chunked, with a
//!   `<head>` or without, under a nonce or hash policy, with a correct `Content-Length`.
//! - Everything else passes through as it is: event streams (as they stream), protocol upgrades
//!   (byte for byte), large downloads and uploads, redirects and cookies (moved from the
//!   backend's origin to hotplate's), with `X-Forwarded-*` headers on the way in.
//! - The mapped asset folders are hotplate's: modules get `import.meta.hot`.
//! - A backend that is down gets a page that waits for it; when it is back, the pages refresh.
//! - A template save refreshes the pages shown: hotplate asks the backend for each page once,
//!   as its tab asked, and pushes the patch; three tabs cost one render and no request.

mod util;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use hotplate::settings::Proxy;
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use testkit::free_port;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PAGE: &str = r#"<!doctype html><html><head><title>backend</title><link rel="stylesheet" href="/static/style.css"><link rel="stylesheet" href="/styles/site.css"></head><body><h1 id="title">one</h1><input id="field"></body></html>"#;

/// How many times the backend rendered `/` (each test runs in a process of its own).
static PAGE_RENDERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The backend: `/` reads `templates/page.html` on every request; the other routes answer
/// the way the module's docs list.
fn backend(root: &Path, port: u16) -> Router {
    let page = root.join("templates/page.html");
    let read = move || std::fs::read_to_string(&page).unwrap();
    let (r1, r2, r3, r4, r5) = (
        read.clone(),
        read.clone(),
        read.clone(),
        read.clone(),
        read.clone(),
    );
    Router::new()
        .route(
            "/",
            get(move || async move {
                PAGE_RENDERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let page = r1();
                // A template error, as a framework's debug page shows it.
                if page.contains("{% broken") {
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        Html("<!doctype html><html><head><title>TemplateSyntaxError</title><style>h1{}</style></head><body><h1>Invalid block tag on line 1: 'broken'</h1></body></html>".to_string()),
                    );
                }
                (StatusCode::OK, Html(page))
            }),
        )
        .route(
            "/compressed/{encoding}",
            get(
                move |axum::extract::Path(encoding): axum::extract::Path<String>| async move {
                    (
                        [
                            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                            (header::CONTENT_ENCODING, encoding.clone()),
                        ],
                        compress(&encoding, r2().as_bytes()),
                    )
                },
            ),
        )
        .route(
            "/chunked",
            get(move || async move {
                let page = r3();
                let (head, tail) = page.split_at(page.find("<body>").unwrap());
                let (head, tail) = (head.to_string(), tail.to_string());
                let chunks = futures_util::stream::iter([head, tail]).then(|chunk| async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok::<_, std::convert::Infallible>(chunk)
                });
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    Body::from_stream(chunks),
                )
            }),
        )
        .route(
            "/cached",
            get({
                // As Django's dev server keeps a compiled template until its reloader looks:
                // the text read is kept for a second, and a fresh CSRF token per request.
                let kept = std::sync::Arc::new(std::sync::Mutex::new(None::<(String, std::time::Instant)>));
                let read = read.clone();
                move || {
                    let kept = kept.clone();
                    let read = read.clone();
                    async move {
                        let mut kept = kept.lock().unwrap();
                        let stale = kept.as_ref().is_none_or(|(_, at)| at.elapsed() > Duration::from_secs(1));
                        if stale {
                            *kept = Some((read(), std::time::Instant::now()));
                        }
                        let token = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
                        let page = kept.as_ref().unwrap().0.replace(
                            "</body>",
                            &format!("<form method=post><input type=hidden name=csrfmiddlewaretoken value={token}></form></body>"),
                        );
                        Html(page)
                    }
                }
            }),
        )
        .route(
            "/secure",
            get(move || async move {
                let page = r5().replace(
                    "<head>",
                    "<head><script nonce=\"backend-nonce\">addEventListener('securitypolicyviolation', (e) => (window.violations = (window.violations || []).concat(e.violatedDirective)));</script>",
                );
                (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                        (header::CONTENT_ENCODING, "gzip"),
                        (
                            header::CONTENT_SECURITY_POLICY,
                            "default-src 'self'; script-src 'nonce-backend-nonce'",
                        ),
                    ],
                    compress("gzip", page.as_bytes()),
                )
            }),
        )
        .route(
            "/styles/site.css",
            get({
                let sheet = root.join("backend_css/site.css");
                move || async move {
                    (
                        [(header::CONTENT_TYPE, "text/css")],
                        std::fs::read_to_string(&sheet).unwrap(),
                    )
                }
            }),
        )
        .route(
            "/chunked-gzip",
            get(|| async {
                // The head, compressed and flushed, then the rest once the test lets it go.
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                encoder
                    .write_all(b"<!doctype html><html><head><title>streamed</title></head><body><p>first</p>")
                    .unwrap();
                encoder.flush().unwrap();
                let head = std::mem::take(encoder.get_mut());
                let rest = async move {
                    RELEASE.notified().await;
                    encoder.write_all(b"<p id=\"last\">last</p></body></html>").unwrap();
                    encoder.finish().unwrap()
                };
                let chunks = futures_util::stream::iter([futures_util::future::Either::Left(
                    std::future::ready(head),
                )])
                .chain(futures_util::stream::iter([futures_util::future::Either::Right(
                    Box::pin(rest),
                )]))
                .then(|chunk| chunk)
                .map(Ok::<_, std::convert::Infallible>);
                (
                    [
                        (header::CONTENT_TYPE, "text/html"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    Body::from_stream(chunks),
                )
            }),
        )
        .route(
            "/fragment",
            get(|| async { Html("<p id=\"fragment\">no head, no body</p>") }),
        )
        .route(
            "/nonce",
            get(move || async move {
                (
                    [(
                        header::CONTENT_SECURITY_POLICY,
                        "script-src 'nonce-backend-nonce'; object-src 'none'",
                    )],
                    Html(r4()),
                )
            }),
        )
        .route(
            "/hashes",
            get(|| async {
                (
                    [(
                        header::CONTENT_SECURITY_POLICY,
                        "script-src 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
                    )],
                    Html("<!doctype html><html><head></head><body>hashed</body></html>"),
                )
            }),
        )
        .route(
            "/events",
            get(|| async {
                let ticks = futures_util::stream::unfold(0, |n| async move {
                    if n > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Some((
                        Ok::<_, std::convert::Infallible>(format!("data: tick {n}\n\n")),
                        n + 1,
                    ))
                });
                (
                    [(header::CONTENT_TYPE, "text/event-stream")],
                    Body::from_stream(ticks),
                )
            }),
        )
        .route("/echo-upgrade", get(echo_upgrade))
        .route(
            "/redirect",
            get(move || async move {
                (
                    StatusCode::FOUND,
                    [(
                        header::LOCATION,
                        format!("http://127.0.0.1:{port}/landed?x=1"),
                    )],
                )
            }),
        )
        .route(
            "/cookie",
            get(|| async {
                (
                    axum::response::AppendHeaders([
                        (
                            header::SET_COOKIE,
                            "session=abc; Domain=127.0.0.1; Path=/; HttpOnly",
                        ),
                        (header::SET_COOKIE, "other=1; Domain=example.com"),
                    ]),
                    "cookies",
                )
            }),
        )
        .route(
            "/headers",
            get(|headers: HeaderMap| async move {
                let get = |name: &str| {
                    headers
                        .get(name)
                        .map(|v| v.to_str().unwrap().to_string())
                        .unwrap_or_default()
                };
                serde_json::json!({
                    "host": get("host"),
                    "for": get("x-forwarded-for"),
                    "forwarded_host": get("x-forwarded-host"),
                    "proto": get("x-forwarded-proto"),
                    "connection": get("connection"),
                })
                .to_string()
            }),
        )
        .route(
            "/download",
            get(|| async {
                let chunks = futures_util::stream::iter(0..DOWNLOAD_CHUNKS)
                    .map(|_| Ok::<_, std::convert::Infallible>(vec![b'x'; 1 << 20]));
                Body::from_stream(chunks)
            }),
        )
        .route(
            "/upload",
            post(|body: Body| async move {
                let mut total = 0usize;
                let mut stream = body.into_data_stream();
                while let Some(Ok(chunk)) = stream.next().await {
                    total += chunk.len();
                }
                total.to_string()
            }),
        )
        .route(
            "/static/missing.js",
            get(|| async { "the backend's own /static/missing.js" }),
        )
        .route(
            "/form",
            post(|| async { Html("<!doctype html><html><head></head><body>posted</body></html>") }),
        )
        .layer(axum::extract::DefaultBodyLimit::disable())
}

use futures_util::StreamExt;

const DOWNLOAD_CHUNKS: usize = 32;

/// Lets `/chunked-gzip` send the rest of its page.
static RELEASE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Answers an upgrade with `101` and then echoes what it reads, uppercased.
async fn echo_upgrade(mut req: Request) -> Response {
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut io = hyper_util::rt::TokioIo::new(upgraded);
        let mut buffer = [0u8; 64];
        while let Ok(n) = io.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            let _ = io.write_all(&buffer[..n].to_ascii_uppercase()).await;
        }
    });
    (
        StatusCode::SWITCHING_PROTOCOLS,
        [(header::CONNECTION, "upgrade"), (header::UPGRADE, "echo")],
    )
        .into_response()
}

fn compress(encoding: &str, bytes: &[u8]) -> Vec<u8> {
    match encoding {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        }
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        }
        "br" => {
            let mut out = Vec::new();
            brotli::BrotliCompress(&mut &bytes[..], &mut out, &Default::default()).unwrap();
            out
        }
        "zstd" => {
            ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
        }
        other => panic!("no {other}"),
    }
}

/// A backend on `127.0.0.1:0` (started now, or later with [`Stack::start_backend`]) and
/// hotplate in front of it.
struct Stack {
    hotplate: util::Running,
    backend_port: u16,
}

fn stack(start_backend: bool) -> Stack {
    stack_with(start_backend, &[])
}

/// [`stack`], with these `--assets` mappings.
fn stack_with(start_backend: bool, assets: &[&str]) -> Stack {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::create_dir_all(dir.path().join("static")).unwrap();
    std::fs::write(dir.path().join("templates/page.html"), PAGE).unwrap();
    std::fs::write(dir.path().join("static/style.css"), "h1 { color: red }").unwrap();
    std::fs::create_dir_all(dir.path().join("backend_css")).unwrap();
    std::fs::write(dir.path().join("backend_css/site.css"), "p { margin: 0 }").unwrap();
    std::fs::create_dir_all(dir.path().join("public/css")).unwrap();
    std::fs::write(
        dir.path().join("public/css/site.css"),
        "@import './base.css';",
    )
    .unwrap();
    std::fs::write(dir.path().join("public/clip.bin"), vec![7u8; 4096]).unwrap();
    // The backend's code, as far as hotplate can tell (a Python project).
    std::fs::write(dir.path().join("app.py"), "VERSION = 1\n").unwrap();
    std::fs::write(
        dir.path().join("static/app.js"),
        "import.meta.hot.accept();\nexport const n = 1;\n",
    )
    .unwrap();
    // The backend's port stays taken until hotplate has bound its own (port 0 could otherwise
    // be given the same one, and hotplate would refuse to proxy to itself).
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let backend_port = reserved.local_addr().unwrap().port();
    let hotplate = util::run_dir(dir, |settings| {
        let mut proxy = Proxy::to(&format!("http://127.0.0.1:{backend_port}")).unwrap();
        proxy.patience = Duration::from_secs(3);
        let assets: Vec<String> = assets.iter().map(|a| a.to_string()).collect();
        settings.proxy_to(proxy, &assets).unwrap();
    });
    drop(reserved);
    let stack = Stack {
        hotplate,
        backend_port,
    };
    if start_backend {
        stack.start_backend();
    }
    stack
}

impl Stack {
    fn start_backend(&self) {
        let router = backend(self.hotplate.dir.path(), self.backend_port);
        let listener = self
            .hotplate
            .runtime()
            .block_on(tokio::net::TcpListener::bind((
                "127.0.0.1",
                self.backend_port,
            )))
            .unwrap();
        self.hotplate
            .runtime()
            .spawn(axum::serve(listener, router).into_future());
    }

    /// A request through hotplate, in memory.
    fn get(&self, uri: &str, headers: &[(&str, &str)]) -> util::Reply {
        self.hotplate
            .runtime()
            .block_on(self.hotplate.get_with(uri, headers))
    }

    /// A raw HTTP/1.1 exchange with hotplate over TCP: what it writes back, until it closes
    /// or `until` shows up.
    fn raw(&self, request: &str, until: &str) -> String {
        let addr = self.hotplate.url.trim_start_matches("http://").to_string();
        self.hotplate.runtime().block_on(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.write_all(request.as_bytes()).await.unwrap();
            read_until(&mut stream, until).await
        })
    }
}

async fn read_until(stream: &mut tokio::net::TcpStream, until: &str) -> String {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&seen).contains(until) {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buffer[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

const NAVIGATION: &[(&str, &str)] = &[("accept", "text/html"), ("accept-encoding", "gzip, br")];

fn assert_injected(reply: &util::Reply) {
    let text = reply.text();
    assert!(text.contains("/__hotplate/"), "no runtime in {text}");
    assert!(
        reply.headers.get(header::CONTENT_ENCODING).is_none(),
        "still marked encoded: {:?}",
        reply.headers
    );
    if let Some(length) = reply.headers.get(header::CONTENT_LENGTH) {
        assert_eq!(length.to_str().unwrap(), reply.body.len().to_string());
    }
}

#[test]
fn compressed_documents_are_decoded_and_get_the_runtime() {
    let stack = stack(true);
    for encoding in ["gzip", "br", "deflate", "zstd"] {
        let reply = stack.get(&format!("/compressed/{encoding}"), NAVIGATION);
        assert_eq!(reply.status, StatusCode::OK, "{encoding}");
        assert_injected(&reply);
        assert!(
            reply.text().contains(r#"<h1 id="title">one</h1>"#),
            "{encoding}"
        );
        assert!(
            reply.headers.contains_key(header::CONTENT_LENGTH),
            "{encoding}"
        );
    }
}

#[test]
fn a_chunked_document_and_one_without_a_head_get_the_runtime() {
    let stack = stack(true);
    let chunked = stack.get("/chunked", NAVIGATION);
    assert_injected(&chunked);
    assert!(chunked.text().contains(r#"<input id="field">"#));
    let fragment = stack.get("/fragment", NAVIGATION);
    assert_injected(&fragment);
    assert!(fragment.text().contains(r#"<p id="fragment">"#));
}

#[test]
fn a_compressed_stream_is_decoded_and_injected_as_it_arrives() {
    let stack = stack(true);
    let addr = stack.hotplate.url.trim_start_matches("http://").to_string();
    let (first, rest) = stack.hotplate.runtime().block_on(async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(
                b"GET /chunked-gzip HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n\r\n",
            )
            .await
            .unwrap();
        // The runtime arrives before the backend has sent the rest.
        let first = read_until(&mut stream, "<p>first</p>").await;
        RELEASE.notify_one();
        let rest = read_until(&mut stream, "</html>").await;
        (first, rest)
    });
    let head = first.to_ascii_lowercase();
    assert!(!head.contains("content-encoding"), "{first}");
    assert!(first.contains("/__hotplate/"), "{first}");
    assert!(rest.contains(r#"<p id="last">last</p>"#), "{rest}");
}

#[test]
fn the_runtime_runs_under_the_backends_policy() {
    let stack = stack(true);
    let nonce = stack.get("/nonce", NAVIGATION);
    assert!(
        nonce
            .text()
            .contains(r#"<script type="module" nonce="backend-nonce""#),
        "{}",
        nonce.text()
    );
    // A policy of hashes allows no inline script but its own: the runtime gets a nonce.
    let hashes = stack.get("/hashes", NAVIGATION);
    let policy = hashes.header("content-security-policy").to_string();
    assert!(policy.contains("'sha256-47DEQ"), "{policy}");
    let added = policy
        .split_whitespace()
        .find_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
        .expect("a nonce for the runtime");
    assert!(hashes.text().contains(&format!(r#"nonce="{added}""#)));
}

#[test]
fn a_pages_own_fetches_of_html_are_not_injected() {
    let stack = stack(true);
    let fetched = stack.get(
        "/fragment",
        &[("accept", "*/*"), ("sec-fetch-dest", "empty")],
    );
    assert_eq!(fetched.text(), r#"<p id="fragment">no head, no body</p>"#);
}

#[test]
fn event_streams_pass_through_as_they_stream() {
    let stack = stack(true);
    // The backend's stream never ends: what arrives proves it was not buffered.
    let seen = stack.raw(
        "GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n",
        "tick 2",
    );
    assert!(seen.contains("text/event-stream"), "{seen}");
    assert!(
        seen.contains("data: tick 0") && seen.contains("data: tick 2"),
        "{seen}"
    );
}

#[test]
fn an_upgraded_connection_is_joined_to_the_backend() {
    let stack = stack(true);
    let addr = stack.hotplate.url.trim_start_matches("http://").to_string();
    let (head, echoed) = stack.hotplate.runtime().block_on(async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /echo-upgrade HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
            .await
            .unwrap();
        let head = read_until(&mut stream, "\r\n\r\n").await;
        stream.write_all(b"hello through hotplate").await.unwrap();
        let echoed = read_until(&mut stream, "HOTPLATE").await;
        (head, echoed)
    });
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("upgrade: echo"),
        "{head}"
    );
    assert_eq!(echoed, "HELLO THROUGH HOTPLATE");
}

#[test]
fn redirects_and_cookies_move_from_the_backend_to_hotplate() {
    let stack = stack(true);
    let redirect = stack.get("/redirect", &[]);
    assert_eq!(redirect.status, StatusCode::FOUND);
    assert_eq!(redirect.header("location"), "http://localhost/landed?x=1");
    let reply = stack.get("/cookie", &[]);
    let cookies: Vec<&str> = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        cookies,
        [
            "session=abc; Path=/; HttpOnly",
            "other=1; Domain=example.com"
        ]
    );
}

#[test]
fn the_backend_hears_who_asked_and_how() {
    let stack = stack(true);
    let reply = stack.raw(
        "GET /headers HTTP/1.1\r\nHost: localhost:4000\r\nConnection: close\r\n\r\n",
        "}",
    );
    let json: serde_json::Value = serde_json::from_str(&reply[reply.find('{').unwrap()..]).unwrap();
    assert_eq!(json["host"], "localhost:4000");
    assert_eq!(json["forwarded_host"], "localhost:4000");
    assert_eq!(json["proto"], "http");
    assert_eq!(json["for"], "127.0.0.1");
    // `Connection: close` was the browser's connection's business, not the backend's.
    assert_ne!(json["connection"], "close");
}

#[test]
fn large_downloads_and_uploads_stream_through() {
    let stack = stack(true);
    let download = stack.get("/download", &[]);
    assert_eq!(download.body.len(), DOWNLOAD_CHUNKS << 20);
    let upload = stack.hotplate.runtime().block_on(util::send(
        hotplate::testing::serve::router(stack.hotplate.app.clone()),
        axum::http::Request::post("/upload")
            .header("host", "localhost")
            .body(Body::from(vec![7u8; 24 << 20]))
            .unwrap(),
    ));
    assert_eq!(upload.text(), (24 << 20).to_string());
}

#[test]
fn mapped_asset_folders_are_served_by_hotplate_and_the_rest_by_the_backend() {
    let stack = stack(true);
    let module = stack.get("/static/app.js", &[]);
    assert_eq!(module.status, StatusCode::OK);
    assert!(
        module.text().contains("import.meta.hot = "),
        "{}",
        module.text()
    );
    let missing = stack.get("/static/missing.js", &[]);
    assert_eq!(missing.text(), "the backend's own /static/missing.js");
    let refused = stack.get("/static/%2e%2e/templates/page.html", &[]);
    assert_ne!(refused.status, StatusCode::OK);
}

#[test]
fn a_form_posts_answer_gets_the_runtime_and_says_it_was_posted() {
    let stack = stack(true);
    let reply = stack.hotplate.runtime().block_on(util::send(
        hotplate::testing::serve::router(stack.hotplate.app.clone()),
        axum::http::Request::post("/form")
            .header("host", "localhost")
            .header("accept", "text/html")
            .body(Body::empty())
            .unwrap(),
    ));
    assert!(
        reply.text().contains(r#"<meta name="hotplate-posted""#),
        "{}",
        reply.text()
    );
}

#[test]
fn a_backend_that_is_down_gets_a_waiting_page_and_the_pages_refresh_when_it_is_back() {
    let stack = stack(false);
    let waiting = stack.get("/", NAVIGATION);
    assert_eq!(waiting.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(waiting.text().contains("data-hotplate-waiting"));
    assert!(waiting.text().contains("Waiting for the backend"));
    assert!(
        waiting.text().contains("/__hotplate/"),
        "the waiting page updates itself"
    );
    let data = stack.get("/headers", &[("accept", "application/json")]);
    assert_eq!(data.status, StatusCode::BAD_GATEWAY);
    assert!(data.text().contains("is not answering"), "{}", data.text());

    let runtime = stack.hotplate.runtime();
    let mut events = runtime.block_on(open_events(&stack));
    stack.start_backend();
    let html = runtime.block_on(events.next_named("html")).json();
    assert_eq!(html["routes"], serde_json::json!(["/"]));
    let page = stack.get("/", NAVIGATION);
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(r#"<h1 id="title">one</h1>"#));
}

#[test]
fn a_template_save_refreshes_the_pages_shown_and_an_asset_save_swaps_it() {
    let stack = stack(true);
    stack.get("/", NAVIGATION);
    wait_until_shown(&stack, "/");
    let runtime = stack.hotplate.runtime();
    let mut events = runtime.block_on(open_events(&stack));
    stack.hotplate.edit("templates/page.html", ">one<", ">two<");
    let html = runtime.block_on(events.next_named("html")).json();
    assert_eq!(html["routes"], serde_json::json!(["/"]));
    stack
        .hotplate
        .write("static/style.css", "h1 { color: blue }");
    let update = runtime.block_on(events.next_named("update")).json();
    assert_eq!(update["updates"][0]["type"], "css");
    assert_eq!(update["updates"][0]["path"], "/static/style.css");
}

#[test]
fn a_gzipped_page_under_a_nonce_policy_morphs_in_the_browser() {
    let stack = stack(true);
    let browser = testkit::Browser::launch();
    let page = browser.open(&format!("{}/secure", stack.hotplate.url));
    page.wait_for_runtime();
    page.eval("window.marker = 1; document.getElementById('field').value = 'kept'; true");
    stack.hotplate.edit("templates/page.html", ">one<", ">two<");
    page.wait_for(
        "document.getElementById('title').textContent === 'two'",
        "the page to morph",
    );
    assert_eq!(page.eval("window.marker"), 1, "the page reloaded");
    assert_eq!(page.eval("document.getElementById('field').value"), "kept");
    assert_eq!(page.eval("window.violations ?? []"), serde_json::json!([]));
}

#[test]
fn a_backend_that_caches_its_templates_for_a_moment_is_asked_again_until_the_save_shows() {
    let stack = stack(true);
    let browser = testkit::Browser::launch();
    let page = browser.open(&format!("{}/cached", stack.hotplate.url));
    page.wait_for_runtime();
    page.eval("window.marker = 1; document.getElementById('field').value = 'kept'; true");
    // Each save lands while the backend still serves the template as it was.
    for (from, to) in [(">one<", ">two<"), (">two<", ">three<")] {
        std::thread::sleep(Duration::from_millis(1100));
        page.eval("fetch(location.href).then(() => true)");
        stack.hotplate.edit("templates/page.html", from, to);
        let word = to.trim_matches(['<', '>']);
        page.wait_for(
            &format!("document.getElementById('title').textContent === '{word}'"),
            &format!("the page to show {word}"),
        );
    }
    assert_eq!(page.eval("window.marker"), 1, "the page reloaded");
    assert_eq!(page.eval("document.getElementById('field').value"), "kept");
}

#[test]
fn a_backends_error_page_shows_in_the_overlay_over_the_page_as_it_was() {
    let stack = stack(true);
    let browser = testkit::Browser::launch();
    let page = browser.open(&format!("{}/", stack.hotplate.url));
    page.wait_for_runtime();
    page.eval("document.getElementById('field').value = 'kept'; true");
    stack
        .hotplate
        .edit("templates/page.html", ">one<", ">{% broken %}<");
    let shown = page.wait_for(
        "document.querySelector('hotplate-error-overlay')?.shadowRoot.textContent",
        "the overlay",
    );
    let shown = shown.as_str().unwrap();
    assert!(shown.contains("/ answered 500"), "{shown}");
    assert!(shown.contains("TemplateSyntaxError"), "{shown}");
    assert!(shown.contains("Invalid block tag on line 1"), "{shown}");
    assert!(!shown.contains("h1{}"), "styles are not text: {shown}");
    assert_eq!(page.eval("document.getElementById('field').value"), "kept");
    stack
        .hotplate
        .edit("templates/page.html", ">{% broken %}<", ">fixed<");
    page.wait_for(
        "!document.querySelector('hotplate-error-overlay') && \
         document.getElementById('title').textContent === 'fixed'",
        "the overlay to clear and the page to morph",
    );
    assert_eq!(page.eval("document.getElementById('field').value"), "kept");
}

/// The test backend on a runtime of its own, so that stopping it closes every connection, as
/// the end of a process would.
struct OwnRuntime {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OwnRuntime {
    fn start(root: &Path, port: u16) -> OwnRuntime {
        let router = backend(root, port);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, listening) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .unwrap();
                ready.send(()).unwrap();
                tokio::select! {
                    _ = axum::serve(listener, router).into_future() => {}
                    _ = stopped => {}
                }
            });
        });
        listening.recv().unwrap();
        OwnRuntime {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for OwnRuntime {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|stop| stop.send(()));
        let _ = self.thread.take().map(std::thread::JoinHandle::join);
    }
}

#[test]
fn a_backend_that_restarts_itself_on_a_code_change_is_seen_back_and_the_pages_refresh() {
    let stack = stack(false);
    let root = stack.hotplate.dir.path().to_path_buf();
    let backend = OwnRuntime::start(&root, stack.backend_port);
    assert_eq!(stack.get("/", NAVIGATION).status, StatusCode::OK);
    wait_until_shown(&stack, "/");
    let runtime = stack.hotplate.runtime();
    let mut events = runtime.block_on(open_events(&stack));
    // Its own reloader (Django's, nodemon, air) restarts it on this change. The refresh sent
    // at once may reach the old process...
    stack.hotplate.write("app.py", "VERSION = 2\n");
    runtime.block_on(events.next_named("html"));
    drop(backend);
    std::thread::sleep(Duration::from_millis(300));
    let _backend = OwnRuntime::start(&root, stack.backend_port);
    // ...so once the new one answers, the pages refresh again.
    let again = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), events.next_named("html")).await
    });
    assert!(again.is_ok(), "no refresh once the backend was back");
}

#[test]
fn a_folder_mapped_at_the_root_answers_first_and_the_backend_the_rest() {
    let stack = stack_with(true, &["/=public", "/static=static"]);
    let css = stack.get("/css/site.css", &[]);
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), "text/css");
    // The rest is the backend's: its pages get the runtime as ever.
    let page = stack.get("/", NAVIGATION);
    assert!(page.text().contains(r#"<h1 id="title">one</h1>"#));
    assert_injected(&page);
    // A file that is not a module keeps its ranges.
    let slice = stack.get("/clip.bin", &[("range", "bytes=0-9")]);
    assert_eq!(slice.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(slice.body, vec![7u8; 10]);
}

#[test]
fn a_stylesheet_the_backend_serves_itself_is_swapped_by_its_name() {
    let stack = stack(true);
    stack.get("/", NAVIGATION);
    let runtime = stack.hotplate.runtime();
    let mut events = runtime.block_on(open_events(&stack));
    stack
        .hotplate
        .write("backend_css/site.css", "p { margin: 1px }");
    let update = runtime.block_on(events.next_named("update")).json();
    assert_eq!(update["updates"][0]["type"], "css");
    assert_eq!(update["updates"][0]["path"], "/styles/site.css");
}

/// Waits until the pipeline knows `route` as shown. The inject layer records a document once
/// its body has gone out, from the pool, and a save before the pipeline has it refreshes no
/// page: under a loaded CI run, the next line of a test can come first.
fn wait_until_shown(stack: &Stack, route: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !stack
        .hotplate
        .app
        .live
        .graph()
        .document_routes()
        .contains(route)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{route} was never recorded"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

async fn open_events(stack: &Stack) -> util::EventReader {
    let mut events = util::open_stream(
        hotplate::testing::serve::router(stack.hotplate.app.clone()),
        "/__hotplate/events",
        &[],
    )
    .await;
    events.next_named("hello").await;
    events
}

#[test]
fn a_backend_that_never_answers_is_reported_and_stopped_with_hotplate() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // A marker no other process has, to find this one by.
    let marker = format!("{}.25", 3000 + port % 1000);
    let hotplate = util::run_dir(dir, |settings| {
        let mut proxy = Proxy::to(&format!("http://127.0.0.1:{port}")).unwrap();
        proxy.exec = Some(format!("echo starting up; sleep {marker}"));
        proxy.ready_timeout = Duration::from_millis(500);
        proxy.patience = Duration::from_millis(200);
        settings.proxy_to(proxy, &[]).unwrap();
    });
    let runtime = hotplate.runtime();
    let mut events = runtime.block_on(util::open_stream(
        hotplate::testing::serve::router(hotplate.app.clone()),
        "/__hotplate/events",
        &[],
    ));
    let error = runtime.block_on(events.next_named("error")).json();
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("has not answered"), "{message}");
    assert!(message.contains("within 0.5 s"), "{message}");
    assert!(
        error["frame"].as_str().unwrap().contains("starting up"),
        "{error}"
    );
    // A page asked for meanwhile says the same.
    let waiting = runtime.block_on(hotplate.get_with("/", NAVIGATION));
    assert_eq!(waiting.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        waiting.text().contains("has not answered"),
        "{}",
        waiting.text()
    );

    // Whether a process runs `sleep MARKER` (from /proc: no tool to install).
    let running = |marker: &str| {
        std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let zombie = stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            !zombie && cmdline == format!("sleep\0{marker}\0").as_bytes()
        })
    };
    assert!(running(&marker), "the backend was started");
    drop(events);
    drop(hotplate);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while running(&marker) {
        assert!(
            std::time::Instant::now() < deadline,
            "the backend outlived hotplate"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_head_request_says_the_length_of_what_a_get_would_bring() {
    let stack = stack(true);
    let head = |headers: &[(&str, &str)]| {
        let mut req = axum::http::Request::head("/").header("host", "localhost");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        stack.hotplate.runtime().block_on(util::send(
            hotplate::testing::serve::router(stack.hotplate.app.clone()),
            req.body(Body::empty()).unwrap(),
        ))
    };
    // `curl -I`: the backend's own answer.
    assert_eq!(head(&[]).header("content-length"), PAGE.len().to_string());
    // A navigation's: the document with the runtime in it, as the GET brings it.
    let get = stack.get("/", &[("accept", "text/html")]);
    assert_eq!(
        head(&[("accept", "text/html")]).header("content-length"),
        get.body.len().to_string()
    );
    assert!(get.body.len() > PAGE.len());
}

#[test]
fn a_template_save_asks_the_backend_once_and_every_tab_takes_the_patch() {
    let stack = stack(true);
    let browser = testkit::Browser::launch();
    let tabs = util::open_tabs(&browser, &format!("{}/", stack.hotplate.url), 3);
    let renders = PAGE_RENDERS.load(std::sync::atomic::Ordering::SeqCst);

    stack.hotplate.edit("templates/page.html", ">one<", ">two<");

    for tab in &tabs {
        util::assert_took_the_patch(tab, "/", "two");
    }
    assert_eq!(
        PAGE_RENDERS.load(std::sync::atomic::Ordering::SeqCst) - renders,
        1,
        "the backend rendered the page once for three tabs"
    );
}
