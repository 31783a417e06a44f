//! `examples/axum.rs` end to end: a real axum app (handlers rendering minijinja templates, a
//! form that posts, `ServeDir` for the stylesheet and modules) with hotplate as a layer, served
//! on `127.0.0.1:0` and driven in headless Chromium.
//!
//! - A template edit morphs the page, keeping typed input and focus. The app is asked once for
//!   each page that read the template, and only for those, and the patch is pushed.
//! - A stylesheet edit swaps the stylesheet; a module under `import.meta.hot.accept` is
//!   replaced; neither reloads the page.
//! - A template that breaks shows the overlay over the page as it was; the fix clears it and
//!   morphs.
//! - The app's own routes, headers, status codes and cookies pass through unchanged; its
//!   documents get the runtime, whoever rendered them.

#[path = "../examples/axum.rs"]
#[allow(dead_code)]
mod example;
mod util;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use std::path::{Path, PathBuf};
use std::time::Duration;
use testkit::{Browser, Page};
use tower::ServiceExt;

/// The example app on a copy of its files, served on a free port.
struct Running {
    url: String,
    dir: tempfile::TempDir,
    router: axum::Router,
    runtime: tokio::runtime::Runtime,
}

fn run() -> Running {
    let dir = testkit::copy_site(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/axum"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (router, url) = runtime.block_on(async {
        let hot = example::hot(dir.path()).unwrap();
        hot.armed().await;
        let router = example::app(dir.path(), hot);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        tokio::spawn(axum::serve(listener, router.clone()).into_future());
        (router, url)
    });
    Running {
        url,
        dir,
        router,
        runtime,
    }
}

impl Running {
    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn edit(&self, relative: &str, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.path(relative)).unwrap();
        assert!(text.contains(from), "{relative} has no {from:?}");
        std::fs::write(self.path(relative), text.replace(from, to)).unwrap();
    }

    fn send(&self, req: Request<Body>) -> util::Reply {
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(req).await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap()
                .to_vec();
            util::Reply {
                status,
                headers,
                body,
            }
        })
    }

    fn get(&self, uri: &str, accept: &str) -> util::Reply {
        self.send(
            Request::get(uri)
                .header("accept", accept)
                .body(Body::empty())
                .unwrap(),
        )
    }
}

fn open<'b>(browser: &'b Browser, site: &Running, route: &str) -> Page<'b> {
    let page = browser.open(&format!("{}{route}", site.url));
    page.wait_for(
        "window.__hotplate && window.__hotplate.boot && document.getElementById('counter').textContent !== ''",
        "the runtime to connect and the counter to start",
    );
    page.eval("window.marker = 42; true");
    page
}

fn assert_not_reloaded(page: &Page) {
    assert_eq!(page.eval("window.marker"), 42, "the page reloaded");
}

#[test]
fn a_template_edit_morphs_the_page_and_keeps_typed_input_and_focus() {
    let site = run();
    let browser = Browser::launch();
    let page = open(&browser, &site, "/");
    // The form posts through the app: the page that comes back shows the note.
    page.eval(
        "document.getElementById('note').value = 'posted from the form'; \
         document.querySelector('form').submit(); true",
    );
    page.wait_for(
        "document.getElementById('notes')?.textContent.includes('posted from the form')",
        "the posted note",
    );
    let page = open(&browser, &site, "/");
    page.eval(
        "const input = document.getElementById('note'); input.focus(); \
         input.value = 'half a thought'; true",
    );
    site.edit(
        "templates/index.html",
        "<h1 id=\"title\">Notes</h1>",
        "<h1 id=\"title\">My notes</h1>",
    );
    page.wait_for(
        "document.getElementById('title').textContent === 'My notes'",
        "the page to morph",
    );
    assert_not_reloaded(&page);
    assert_eq!(
        page.eval("document.getElementById('note').value"),
        "half a thought"
    );
    assert_eq!(page.eval("document.activeElement.id"), "note");
    assert_eq!(
        page.eval("document.getElementById('notes').textContent.includes('posted from the form')"),
        true
    );
    // The partial, through the layout: the page morphs again.
    site.edit(
        "templates/partials/nav.html",
        "· <a href=\"/about\">About</a>",
        "· <a href=\"/about\">About us</a>",
    );
    page.wait_for(
        "document.getElementById('nav').textContent.includes('About us')",
        "the partial to morph in",
    );
    assert_not_reloaded(&page);
    assert_eq!(
        page.eval("document.getElementById('note').value"),
        "half a thought"
    );
}

#[test]
fn a_stylesheet_edit_swaps_it_and_an_accepting_module_is_replaced_without_a_reload() {
    let site = run();
    let browser = Browser::launch();
    let page = open(&browser, &site, "/");
    assert_eq!(
        page.eval("getComputedStyle(document.getElementById('title')).color"),
        "rgb(20, 60, 120)"
    );
    site.edit("static/style.css", "rgb(20, 60, 120)", "rgb(200, 0, 0)");
    page.wait_for(
        "getComputedStyle(document.getElementById('title')).color === 'rgb(200, 0, 0)'",
        "the new stylesheet to apply",
    );
    assert_not_reloaded(&page);

    page.wait_for(
        "/count [1-9]/.test(document.getElementById('counter').textContent)",
        "the counter to count",
    );
    site.edit(
        "static/counter.js",
        "export const label = 'count';",
        "export const label = 'tally';",
    );
    page.wait_for(
        "document.getElementById('counter').textContent.startsWith('tally')",
        "the module to be replaced",
    );
    assert_not_reloaded(&page);
    // The new module took the count over from the old one (import.meta.hot.data).
    let shown = page.eval("document.getElementById('counter').textContent");
    let count: u32 = shown.as_str().unwrap()["tally ".len()..].parse().unwrap();
    assert!(count >= 1, "{shown}");
}

#[test]
fn a_template_save_updates_only_the_pages_that_read_it_and_asks_the_app_for_each_once() {
    let site = run();
    assert_eq!(site.get("/", "text/html").status, StatusCode::OK);
    assert_eq!(site.get("/about", "text/html").status, StatusCode::OK);
    let mut events = site.runtime.block_on(util::open_stream(
        site.router.clone(),
        "/__hotplate/events",
        &[],
    ));
    site.runtime.block_on(events.next_named("hello"));

    site.edit(
        "templates/about.html",
        "<h1 id=\"title\">About</h1>",
        "<h1 id=\"title\">About us</h1>",
    );

    let html = site.runtime.block_on(events.next_named("html")).json();
    assert_eq!(html["routes"], serde_json::json!(["/about"]));
    assert_eq!(
        html["patches"][0]["route"], "/about",
        "the app was asked for the page, and the patch pushed: {html}"
    );
    assert!(
        html.to_string().contains("About us"),
        "the patch carries the new heading: {html}"
    );
    // `/` does not read about.html: no message names it, not even once the pauses a caching
    // backend is given (1.55 s in all) have run out.
    let later = site.runtime.block_on(async {
        let mut later = Vec::new();
        while let Some(block) = events.next_within(Duration::from_millis(2500)).await {
            if block.event() == "html" {
                later.push(block.json());
            }
        }
        later
    });
    assert!(later.is_empty(), "{later:?}");
}

#[test]
fn a_broken_template_shows_the_overlay_and_the_fix_morphs_it_away() {
    let site = run();
    let browser = Browser::launch();
    let page = open(&browser, &site, "/");
    page.eval("document.getElementById('note').value = 'still here'; true");
    site.edit(
        "templates/index.html",
        "{% for note in notes %}",
        "{% for note in %}",
    );
    let overlay = page.wait_for(
        "document.querySelector('hotplate-error-overlay')?.shadowRoot.textContent",
        "the overlay",
    );
    assert!(
        overlay.as_str().unwrap().contains("index.html"),
        "{overlay}"
    );
    assert_not_reloaded(&page);
    assert_eq!(
        page.eval("document.getElementById('note').value"),
        "still here"
    );
    site.edit(
        "templates/index.html",
        "{% for note in %}",
        "{% for note in notes %}<!-- fixed -->",
    );
    page.wait_for(
        "!document.querySelector('hotplate-error-overlay') && document.getElementById('notes').innerHTML.includes('fixed')",
        "the fix to clear the overlay and morph",
    );
    assert_not_reloaded(&page);
    assert_eq!(
        page.eval("document.getElementById('note').value"),
        "still here"
    );
}

#[test]
fn the_app_s_own_routes_headers_and_status_codes_pass_through() {
    let site = run();
    let teapot = site.get("/teapot", "*/*");
    assert_eq!(teapot.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(teapot.header("set-cookie"), "brew=1; Path=/");
    assert_eq!(teapot.text(), "short and stout\n");

    let health = site.get("/api/health", "text/html,*/*");
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.header("x-app"), "notes");
    assert_eq!(health.header("content-type"), "application/json");
    assert_eq!(health.text(), r#"{"ok":true}"#);

    let missing = site.get("/nowhere", "*/*");
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.text(), "no such note\n");

    let posted = site.send(
        Request::post("/notes")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("note=from+a+test"))
            .unwrap(),
    );
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    assert_eq!(posted.header("location"), "/");

    // The app's document, with the runtime in it and the note the app keeps.
    let page = site.get("/", "text/html");
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("<script type=\"module\" src=\"/__hotplate/"),
        "{html}"
    );
    assert!(html.contains("<li>from a test</li>"), "{html}");
    assert_eq!(page.header("content-length"), html.len().to_string());
    // The rewritten document revalidates against its own ETag.
    let etag = page.header("etag").to_string();
    let again = site.send(
        Request::get("/")
            .header("accept", "text/html")
            .header("if-none-match", &etag)
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    // Files under /static come from ServeDir; modules get import.meta.hot, others are as they
    // are on disk.
    let module = site.get("/static/counter.js", "*/*");
    assert!(
        module.text().contains("import.meta.hot = "),
        "{}",
        module.text()
    );
    let css = site.get("/static/style.css", "text/css,*/*");
    assert_eq!(
        css.text(),
        std::fs::read_to_string(site.path("static/style.css")).unwrap()
    );
    // And the runtime itself.
    let client = site.get("/__hotplate/client.js", "*/*");
    assert_eq!(client.status, StatusCode::OK);
}
