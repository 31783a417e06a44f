//! `hotplate::layer` around apps other than the example: what any axum app gets.
//!
//! - A page under a Content-Security-Policy (with a nonce of its own, or none) still runs the
//!   runtime and morphs, without a single violation.
//! - An app that renders templates its own way (no `hotplate::Templates`): a save in the
//!   template folder morphs every open page. The app is asked for each page once, however many
//!   tabs show it, and the tabs take the patch.
//! - A compressed document, one too large to rewrite or one not in UTF-8 is passed through
//!   untouched; a layer turned off is the app itself.
//! - The handle sends `html` and custom events to the pages.
//! - A document streamed as it is made goes out as it comes in, the runtime in its first part.

mod util;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use testkit::Browser;

/// An app whose `/` reads `templates/page.html` from disk on every request and answers it
/// with `headers`; `/items/{id}` shows it with the item's id, and counts its renders in
/// `renders`.
fn app(
    dir: &std::path::Path,
    headers: Vec<(&'static str, &'static str)>,
    renders: Arc<AtomicUsize>,
) -> Router {
    let page = dir.join("templates/page.html");
    let item = page.clone();
    Router::new()
        .route(
            "/items/{id}",
            get(move |Path(id): Path<u32>| {
                renders.fetch_add(1, Ordering::SeqCst);
                let html = std::fs::read_to_string(&item).unwrap();
                async move { Html(html.replace("<input", &format!("<p id=\"item\">{id}</p><input"))) }
            }),
        )
        .route(
            "/",
            get(move || {
                let page = page.clone();
                let headers = headers.clone();
                async move {
                    let html = std::fs::read_to_string(&page).unwrap();
                    let mut response = Html(html).into_response();
                    for (name, value) in headers {
                        response.headers_mut().insert(name, value.parse().unwrap());
                    }
                    response
                }
            }),
        )
        .route(
            "/latin1",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=iso-8859-1")],
                    b"<html><head></head><body>caf\xe9</body></html>".to_vec(),
                )
            }),
        )
        .route(
            "/huge",
            get(|| async { Html(format!("<p>{}</p>", "x".repeat(51 << 20))) }),
        )
        .route(
            "/zipped",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    vec![0x1f_u8, 0x8b, 8, 0, 1, 2, 3],
                )
            }),
        )
}

const PAGE: &str = r#"<!doctype html><html><head><title>t</title></head><body>
<h1 id="title">one</h1><input id="field">
<script nonce="page-nonce">window.inlineRan = true;</script>
<script>addEventListener('securitypolicyviolation', (e) => (window.violations = (window.violations || []).concat(e.violatedDirective + ' ' + e.blockedURI)));</script>
</body></html>"#;

struct Running {
    dir: tempfile::TempDir,
    url: String,
    router: Router,
    hot: hotplate::HotLayer,
    runtime: tokio::runtime::Runtime,
    /// How many times the app rendered `/items/{id}`.
    renders: Arc<AtomicUsize>,
}

fn run(headers: Vec<(&'static str, &'static str)>) -> Running {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("templates/page.html"), PAGE).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let renders = Arc::new(AtomicUsize::new(0));
    let (router, url, hot) = runtime.block_on(async {
        let hot = hotplate::layer()
            .root(dir.path())
            .templates("templates")
            .enabled(true)
            .build()
            .unwrap();
        hot.armed().await;
        let router = app(dir.path(), headers, renders.clone()).layer(hot.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        tokio::spawn(axum::serve(listener, router.clone()).into_future());
        (router, url, hot)
    });
    Running {
        dir,
        url,
        router,
        hot,
        runtime,
        renders,
    }
}

impl Running {
    fn template(&self) -> PathBuf {
        self.dir.path().join("templates/page.html")
    }

    fn get(&self, uri: &str, accept: &str) -> util::Reply {
        let req = Request::get(uri)
            .header("accept", accept)
            .header("host", "localhost")
            .body(Body::empty())
            .unwrap();
        self.runtime.block_on(util::send(self.router.clone(), req))
    }
}

/// Opens `/`, waits for the runtime, and checks the page's own inline script ran.
fn open<'b>(browser: &'b Browser, site: &Running) -> testkit::Page<'b> {
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for(
        "window.__hotplate && window.__hotplate.boot",
        "the runtime to connect",
    );
    page.eval("window.marker = 42; document.getElementById('field').value = 'kept'; true");
    page
}

fn save_and_expect_morph(site: &Running, page: &testkit::Page) {
    std::fs::write(site.template(), PAGE.replace(">one<", ">two<")).unwrap();
    page.wait_for(
        "document.getElementById('title').textContent === 'two'",
        "the page to morph",
    );
    assert_eq!(page.eval("window.marker"), 42, "the page reloaded");
    assert_eq!(page.eval("document.getElementById('field').value"), "kept");
}

#[test]
fn a_page_with_a_nonce_policy_runs_the_runtime_under_it() {
    let site = run(vec![(
        "content-security-policy",
        "script-src 'nonce-page-nonce' 'strict-dynamic'; connect-src 'self'; object-src 'none'",
    )]);
    let browser = Browser::launch();
    let page = open(&browser, &site);
    assert_eq!(page.eval("window.inlineRan"), true);
    save_and_expect_morph(&site, &page);
    assert_eq!(page.eval("window.violations ?? []"), serde_json::json!([]));
}

#[test]
fn a_strict_policy_without_a_nonce_gets_one_for_the_runtime() {
    let site = run(vec![(
        "content-security-policy",
        "default-src 'self'; style-src 'self'",
    )]);
    let reply = site.get("/", "text/html");
    let policy = reply.header("content-security-policy").to_string();
    let nonce = policy
        .split_whitespace()
        .find_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
        .expect("a nonce for the runtime")
        .to_string();
    assert!(
        reply
            .text()
            .contains(&format!(r#"<script nonce="{nonce}">"#)),
        "{}",
        reply.text()
    );
    let browser = Browser::launch();
    let page = open(&browser, &site);
    // The page's own script without a nonce stays blocked, as its policy says.
    assert_eq!(page.eval("window.inlineRan ?? false"), false);
    save_and_expect_morph(&site, &page);
}

#[test]
fn a_template_save_morphs_every_open_page_of_an_app_that_renders_its_own_way() {
    let site = run(Vec::new());
    let browser = Browser::launch();
    let page = open(&browser, &site);
    save_and_expect_morph(&site, &page);
}

#[test]
fn a_template_save_asks_the_app_once_and_every_tab_takes_the_patch() {
    let site = run(Vec::new());
    let browser = Browser::launch();
    let tabs = util::open_tabs(&browser, &format!("{}/items/7", site.url), 3);
    let renders = site.renders.load(Ordering::SeqCst);

    std::fs::write(site.template(), PAGE.replace(">one<", ">two<")).unwrap();

    for tab in &tabs {
        util::assert_took_the_patch(tab, "/items/7", "two");
        assert_eq!(
            tab.eval("document.getElementById('item').textContent"),
            "7",
            "the route was asked again with its path parameter"
        );
    }
    assert_eq!(
        site.renders.load(Ordering::SeqCst) - renders,
        1,
        "the app rendered the page once for three tabs"
    );
}

#[test]
fn the_handle_sends_html_and_custom_events() {
    let site = run(Vec::new());
    let handle = site.hot.handle().expect("the layer is on");
    let mut events = site.runtime.block_on(util::open_stream(
        site.router.clone(),
        "/__hotplate/events",
        &[],
    ));
    site.runtime.block_on(events.next_named("hello"));
    handle.html(&["/"]);
    let html = site.runtime.block_on(events.next_named("html")).json();
    assert_eq!(html["routes"], serde_json::json!(["/"]));
    handle.send("greet", serde_json::json!({ "to": "pages" }));
    let custom = site.runtime.block_on(events.next_named("custom")).json();
    assert_eq!(
        custom,
        serde_json::json!({ "event": "greet", "data": { "to": "pages" } })
    );
}

#[test]
fn a_compressed_document_is_left_as_it_is() {
    let site = run(Vec::new());
    let zipped = site.get("/zipped", "text/html");
    assert_eq!(zipped.status, StatusCode::OK);
    assert_eq!(zipped.header("content-encoding"), "gzip");
    assert_eq!(zipped.body, vec![0x1f_u8, 0x8b, 8, 0, 1, 2, 3]);
}

#[test]
fn a_document_too_large_to_rewrite_goes_out_as_it_is() {
    let site = run(Vec::new());
    let huge = site.get("/huge", "text/html");
    assert_eq!(huge.status, StatusCode::OK);
    assert_eq!(huge.body.len(), (51 << 20) + "<p></p>".len());
    assert!(!huge.text().contains("__hotplate"));
}

#[test]
fn a_document_in_another_encoding_goes_out_byte_for_byte() {
    let site = run(Vec::new());
    let latin1 = site.get("/latin1", "text/html");
    assert_eq!(latin1.status, StatusCode::OK);
    assert_eq!(
        latin1.body,
        b"<html><head></head><body>caf\xe9</body></html>".to_vec()
    );
}

#[test]
fn a_layer_turned_off_is_the_app_itself() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("templates/page.html"), PAGE).unwrap();
    let reply = runtime.block_on(async {
        let off = hotplate::layer()
            .root(dir.path())
            .templates("templates")
            .enabled(false)
            .build()
            .unwrap();
        assert!(off.handle().is_none());
        let router = app(dir.path(), Vec::new(), Arc::default()).layer(off);
        let req = Request::get("/")
            .header("accept", "text/html")
            .body(Body::empty())
            .unwrap();
        util::send(router, req).await
    });
    assert_eq!(reply.text(), PAGE);
}

#[test]
fn a_streamed_document_goes_out_as_it_comes_in() {
    use futures_util::StreamExt;
    use http_body_util::BodyExt;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outcome = runtime.block_on(async {
        let hot = hotplate::layer().root(dir.path()).enabled(true).build().unwrap();
        let (open_gate, gate) = tokio::sync::oneshot::channel::<()>();
        let gate = std::sync::Arc::new(std::sync::Mutex::new(Some(gate)));
        let router = Router::new()
            .route(
                "/streamed",
                get(move || {
                    let gate = gate.lock().unwrap().take().unwrap();
                    async move {
                        let first = futures_util::stream::once(async {
                            Ok::<_, std::io::Error>(
                                "<!doctype html><html><head><title>s</title></head><body><h1>first</h1>",
                            )
                        });
                        let rest = futures_util::stream::once(async move {
                            let _ = gate.await;
                            Ok("<p>second</p></body></html>")
                        });
                        (
                            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                            Body::from_stream(first.chain(rest)),
                        )
                    }
                }),
            )
            .layer(hot);
        let req = Request::get("/streamed")
            .header("accept", "text/html")
            .body(Body::empty())
            .unwrap();
        let answer = tower::ServiceExt::oneshot(router, req);
        let Ok(response) = tokio::time::timeout(std::time::Duration::from_secs(10), answer).await
        else {
            return Err("the answer waited for the whole document");
        };
        let response = response.unwrap();
        assert!(response.headers().get("content-length").is_none());
        assert!(response.headers().get("etag").is_none());
        let mut body = response.into_body();
        // The first part, with the runtime in its head, arrives while the app still holds the
        // rest back: nothing waits for the end of the document.
        let mut seen = String::new();
        while !seen.contains("<h1>first</h1>") {
            let Ok(frame) =
                tokio::time::timeout(std::time::Duration::from_secs(10), body.frame()).await
            else {
                return Err("the first part did not come before the rest was made");
            };
            let frame = frame.unwrap().unwrap();
            seen.push_str(&String::from_utf8_lossy(&frame.into_data().unwrap()));
        }
        assert!(seen.contains("<head><meta name=\"hotplate-since\""), "{seen}");
        open_gate.send(()).unwrap();
        let rest = body.collect().await.unwrap().to_bytes();
        let whole = seen + &String::from_utf8_lossy(&rest);
        assert!(whole.ends_with("<p>second</p></body></html>"), "{whole}");
        assert_eq!(whole.matches("/__hotplate/").count(), 1, "{whole}");
        Ok(())
    });
    // A document held back whole would leave the app's handler waiting for good.
    runtime.shutdown_background();
    outcome.unwrap();
}
