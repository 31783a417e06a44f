//! Helpers that keep each test a few lines long: a fixture site copied to a temporary folder,
//! served in memory ([`Site`]) or on `127.0.0.1:0` with a real watcher ([`Running`]).
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use hotplate::testing::App;
use hotplate::{Server, Settings};
use http_body_util::BodyExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fixture site, copied so the test may edit it, and its app in memory.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub app: Arc<App>,
    pub router: Router,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }
}

pub fn site(fixture_name: &str) -> Site {
    site_with(fixture_name, |_| {})
}

pub fn site_with(fixture_name: &str, configure: impl FnOnce(&mut Settings)) -> Site {
    let dir = testkit::copy_site(&fixture(fixture_name));
    let mut settings = Settings::for_root(dir.path()).unwrap();
    configure(&mut settings);
    let app = App::new(settings);
    // No watcher: tests hand batches to `pipeline::react` themselves. The pipeline still
    // writes what requests record into the graph.
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(hotplate::testing::pipeline::run(app.clone(), None));
    }
    let router = hotplate::testing::serve::router(app.clone());
    Site { dir, app, router }
}

impl Site {
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn write(&self, relative: &str, content: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn read(&self, relative: &str) -> Vec<u8> {
        std::fs::read(self.path(relative)).unwrap()
    }

    pub fn read_text(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap()
    }

    /// GET `uri` with `Host: localhost`.
    pub async fn get(&self, uri: &str) -> Reply {
        self.request(
            Request::get(uri)
                .header("host", "localhost")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// GET `uri` with `Host: localhost` and extra headers.
    pub async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        self.request(get_request(uri, headers)).await
    }

    pub async fn request(&self, req: Request<Body>) -> Reply {
        send(self.router.clone(), req).await
    }

    /// Opens the hub's event stream in memory.
    pub async fn events(&self, headers: &[(&str, &str)]) -> EventReader {
        open_stream(self.router.clone(), "/__hotplate/events", headers).await
    }

    /// Opens any event stream (`/__hotplate/changes`) in memory.
    pub async fn stream(&self, path: &str) -> EventReader {
        open_stream(self.router.clone(), path, &[]).await
    }
}

/// Reads server-sent events from a response body, block by block.
pub struct EventReader {
    body: Body,
    buffer: String,
}

/// One SSE block: its fields, in order (`retry`, `id`, `event`, `data`, or `:` for a comment).
#[derive(Debug, Clone)]
pub struct Block(pub Vec<(String, String)>);

impl Block {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn event(&self) -> &str {
        self.field("event").unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.field("data").expect("a data field")).unwrap()
    }
}

impl EventReader {
    /// The next block, within `patience`.
    pub async fn next_within(&mut self, patience: Duration) -> Option<Block> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..end + 2).collect();
                let fields = raw
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(|line| match line.split_once(':') {
                        Some(("", comment)) => (":".to_string(), comment.trim().to_string()),
                        Some((name, value)) => (name.to_string(), value.trim_start().to_string()),
                        None => (line.to_string(), String::new()),
                    })
                    .collect();
                return Some(Block(fields));
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??;
            if let Ok(data) = frame.unwrap().into_data() {
                self.buffer.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }

    /// The next block that is an event (not a keep-alive comment).
    pub async fn next_event(&mut self) -> Block {
        loop {
            let block = self
                .next_within(Duration::from_secs(10))
                .await
                .expect("an event within 10 s");
            if block.field("event").is_some() {
                return block;
            }
        }
    }

    /// The next event named `name`, skipping others.
    pub async fn next_named(&mut self, name: &str) -> Block {
        loop {
            let block = self.next_event().await;
            if block.event() == name {
                return block;
            }
        }
    }
}

/// A fixture site served on `127.0.0.1:0` with its watcher running, on a runtime of its own.
pub struct Running {
    pub url: String,
    pub dir: tempfile::TempDir,
    pub app: Arc<App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

pub fn run(fixture_name: &str) -> Running {
    run_dir(testkit::copy_site(&fixture(fixture_name)), |_| {})
}

/// A copy of `examples/<name>`, with the packages npm installed for it (`scripts/test` runs
/// `npm ci` in each example), served with `configure`d settings.
pub fn example(name: &str, configure: impl FnOnce(&mut Settings)) -> Running {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    assert!(
        folder.join("node_modules").is_dir(),
        "run `npm ci` in examples/{name} first (scripts/test does)"
    );
    let copy = testkit::copy_site(&folder);
    let _ = std::fs::remove_dir_all(copy.path().join("node_modules/.hotplate"));
    run_dir(copy, configure)
}

/// Serves the folder `root` inside `dir` (which the test keeps for as long as it runs).
pub fn run_at(dir: tempfile::TempDir, root: &Path) -> Running {
    let root = root.to_path_buf();
    run_dir(dir, move |settings| {
        *settings = Settings::for_root(&root).unwrap();
    })
}

pub fn run_dir(dir: tempfile::TempDir, configure: impl FnOnce(&mut Settings)) -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut settings = Settings::for_root(dir.path()).unwrap();
    configure(&mut settings);
    let server = runtime.block_on(Server::bind(settings)).unwrap();
    if let Some(arming) = server.arming() {
        let armed = runtime.block_on(arming.wait());
        assert!(
            matches!(armed, hotplate::testing::watch::Arming::Armed { .. }),
            "{armed:?}"
        );
    }
    let url = format!("http://127.0.0.1:{}", server.local_addr().port());
    let app = server.app();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    runtime.spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    Running {
        url,
        dir,
        app,
        stop: Some(stop),
        runtime: Some(runtime),
    }
}

impl Running {
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn write(&self, relative: &str, content: &str) {
        std::fs::write(self.path(relative), content).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap()
    }

    /// Saves `relative` with `from` replaced by `to` (which must be there).
    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let text = self.read(relative);
        assert!(text.contains(from), "{relative} has no {from:?} to edit");
        self.write(relative, &text.replace(from, to));
    }

    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().unwrap()
    }

    /// GET `uri` from the running app (in memory) with `Host: localhost`.
    pub async fn get(&self, uri: &str) -> Reply {
        self.get_with(uri, &[]).await
    }

    /// GET `uri` from the running app (in memory) with extra headers.
    pub async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        send(
            hotplate::testing::serve::router(self.app.clone()),
            get_request(uri, headers),
        )
        .await
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

impl Site {
    /// GET `uri` with the given `Host` header.
    pub async fn get_with_host(&self, uri: &str, host: &str) -> Reply {
        self.request(
            Request::get(uri)
                .header("host", host)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }
}

fn get_request(uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::get(uri).header("host", "localhost");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(Body::empty()).unwrap()
}

pub async fn send(router: Router, req: Request<Body>) -> Reply {
    let response = router.oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// Opens the hub's event stream of a running app, in memory.
pub async fn events_of(app: &Arc<App>) -> EventReader {
    open_stream(
        hotplate::testing::serve::router(app.clone()),
        "/__hotplate/events",
        &[],
    )
    .await
}

/// Opens any event stream of a running app (`/__hotplate/received`), in memory.
pub async fn stream_of(app: &Arc<App>, path: &str) -> EventReader {
    open_stream(hotplate::testing::serve::router(app.clone()), path, &[]).await
}

pub async fn open_stream(router: Router, path: &str, headers: &[(&str, &str)]) -> EventReader {
    let mut req = Request::get(path).header("host", "localhost");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let response = router
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    EventReader {
        body: response.into_body(),
        buffer: String::new(),
    }
}

/// Serves `out` as a static host would: files as they are, folders by their `index.html`,
/// `.br`/`.gz` by `Accept-Encoding`, `404.html` for the rest.
pub struct StaticHost {
    pub url: String,
    _thread: std::thread::JoinHandle<()>,
}

pub fn static_host(out: &Path) -> StaticHost {
    use tower_http::services::{ServeDir, ServeFile};
    let service = ServeDir::new(out)
        .precompressed_br()
        .precompressed_gzip()
        .not_found_service(ServeFile::new(out.join("404.html")));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let thread = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().fallback_service(service);
                axum::serve(listener, app).await.unwrap();
            });
    });
    StaticHost {
        url,
        _thread: thread,
    }
}

/// Opens `route` of `site` in `browser`, waits for the runtime to connect, and sets a `window`
/// marker that a reload would lose.
pub fn open<'b>(browser: &'b testkit::Browser, site: &Running, route: &str) -> testkit::Page<'b> {
    let page = browser.open(&format!("{}{route}", site.url));
    page.wait_for(
        "window.__hotplate && window.__hotplate.boot",
        "the runtime to connect",
    );
    page.eval("window.marker = 42; true");
    page
}

/// Opens `count` tabs at `url`, each with a `window` marker a reload would lose and `kept`
/// typed into `#field`.
pub fn open_tabs<'b>(
    browser: &'b testkit::Browser,
    url: &str,
    count: usize,
) -> Vec<testkit::Page<'b>> {
    (0..count)
        .map(|_| {
            let page = browser.open(url);
            page.wait_for_runtime();
            page.eval("window.marker = 1; document.getElementById('field').value = 'kept'; true");
            page
        })
        .collect()
}

/// Waits for `tab` (from [`open_tabs`]) to show `#title` reading `title`, and checks it took
/// the pushed patch: no request for the page at `path`, no reload, the typed text kept.
pub fn assert_took_the_patch(tab: &testkit::Page, path: &str, title: &str) {
    tab.wait_for(
        &format!("document.getElementById('title').textContent === {title:?}"),
        "the patched heading",
    );
    assert_eq!(
        tab.eval("window.__hotplate.patches"),
        1,
        "the patch, not a fetch"
    );
    assert_eq!(
        tab.eval(&format!(
            "performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === {path:?}).length"
        )),
        0,
        "no tab asked for the page"
    );
    assert_eq!(tab.eval("window.marker"), 1, "no reload");
    assert_eq!(tab.eval("document.getElementById('field').value"), "kept");
}
