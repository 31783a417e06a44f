//! Test and bench support for hotplate.
//!
//! - [`Browser`]: a real headless Chromium, driven over the Chrome DevTools Protocol (CDP) on a
//!   websocket. Only four CDP methods are needed (create and attach a target, evaluate, close),
//!   so this is a small synchronous client rather than a full generated-protocol crate.
//! - [`copy_site`]: a fresh, writable copy of a fixture site in a temporary folder.
//! - [`free_port`]: a port on loopback that nothing listens on, for a server started later.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

/// How long any wait in a browser test may take before the test fails. A guard against hangs,
/// not a measurement.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// The flags every browser test runs Chromium with.
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-extensions",
    "--remote-debugging-port=0",
];

/// A headless Chromium with a fresh profile; killed on drop.
pub struct Browser {
    child: Child,
    connection: Mutex<Connection>,
    _profile: tempfile::TempDir,
}

struct Connection {
    socket: WebSocket<TcpStream>,
    next_id: u64,
}

/// One tab, attached through a flat CDP session.
pub struct Page<'b> {
    browser: &'b Browser,
    session: String,
    target: String,
}

/// The Chromium executable: `$CHROMIUM`, else the first of the usual names on `PATH`.
pub fn chromium_path() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("no Chromium found: install Debian's `chromium` (scripts/test does) or set CHROMIUM");
}

impl Browser {
    pub fn launch() -> Browser {
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut child = Command::new(chromium_path())
            .args(CHROMIUM_FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        // Chromium writes the debugging port and the browser's websocket path to this file.
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + PATIENCE;
        let (port, path) = loop {
            if let Ok(file) = std::fs::File::open(&port_file) {
                let lines: Vec<String> =
                    BufReader::new(file).lines().map_while(Result::ok).collect();
                if lines.len() >= 2 {
                    break (lines[0].clone(), lines[1].clone());
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("chromium exited at start: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "chromium did not open its debugging port"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect to chromium");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.set_nodelay(true).unwrap();
        let (socket, _) = tungstenite::client(format!("ws://127.0.0.1:{port}{path}"), stream)
            .expect("devtools websocket handshake");
        Browser {
            child,
            connection: Mutex::new(Connection { socket, next_id: 1 }),
            _profile: profile,
        }
    }

    /// Sends one CDP command and returns its result, skipping events that arrive meanwhile.
    /// Panics if the command fails.
    pub fn call(&self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.try_call(session, method, params)
            .unwrap_or_else(|error| panic!("{method} failed: {error}"))
    }

    /// Sends one CDP command; its result, or the protocol's error.
    pub fn try_call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, Value> {
        let mut conn = self.connection.lock().unwrap();
        let id = conn.next_id;
        conn.next_id += 1;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        conn.socket
            .send(Message::text(message.to_string()))
            .expect("send to chromium");
        loop {
            let reply = conn.socket.read().expect("read from chromium");
            let Message::Text(text) = reply else { continue };
            let value: Value = serde_json::from_str(&text).expect("CDP sends JSON");
            if value["id"] == json!(id) {
                return match value.get("error") {
                    Some(error) => Err(error.clone()),
                    None => Ok(value["result"].clone()),
                };
            }
        }
    }

    /// Opens `url` in a new tab and waits until it has loaded.
    pub fn open(&self, url: &str) -> Page<'_> {
        let target =
            self.call(None, "Target.createTarget", json!({ "url": "about:blank" }))["targetId"]
                .as_str()
                .expect("a target id")
                .to_string();
        let session = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target, "flatten": true }),
        )["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        let page = Page {
            browser: self,
            session,
            target,
        };
        page.goto(url);
        page
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Page<'_> {
    /// Navigates and waits for the load event of the new document.
    pub fn goto(&self, url: &str) {
        self.eval(&format!(
            "window.__testkit_left = true; location.href = {}; true",
            json!(url)
        ));
        self.wait_for(
            "!window.__testkit_left && document.readyState === 'complete'",
            &format!("{url} to load"),
        );
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its JSON value.
    /// Panics if it throws.
    pub fn eval(&self, expression: &str) -> Value {
        let result = self.browser.call(
            Some(&self.session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        if let Some(details) = result.get("exceptionDetails") {
            panic!("{expression} threw: {details}");
        }
        result["result"]["value"].clone()
    }

    /// Polls `expression` until it is truthy and returns that value; panics after
    /// [`PATIENCE`], saying what was awaited. Evaluation errors while a page is navigating
    /// count as "not yet".
    pub fn wait_for(&self, expression: &str, what: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        let wrapped = format!(
            "(() => {{ try {{ return ({expression}); }} catch (e) {{ return null; }} }})()"
        );
        loop {
            // A page in the middle of navigating answers with an error: not yet.
            let result = self.browser.try_call(
                Some(&self.session),
                "Runtime.evaluate",
                json!({ "expression": wrapped, "returnByValue": true, "awaitPromise": true }),
            );
            let value = result
                .map(|r| r["result"]["value"].clone())
                .unwrap_or(Value::Null);
            let truthy = !matches!(value, Value::Null | Value::Bool(false))
                && value != json!(0)
                && value != json!("");
            if truthy {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} ({expression})"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until hotplate's runtime in the page has connected (its hub said hello).
    pub fn wait_for_runtime(&self) {
        self.wait_for(
            "window.__hotplate && window.__hotplate.boot",
            "the runtime to connect",
        );
    }

    /// Waits until hotplate's error overlay shows, and returns its text.
    pub fn wait_for_overlay(&self) -> String {
        let text = self.wait_for(
            "document.querySelector('hotplate-error-overlay')?.shadowRoot.textContent",
            "the overlay",
        );
        text.as_str().unwrap_or_default().to_string()
    }

    /// Waits until hotplate's error overlay is gone.
    pub fn wait_for_no_overlay(&self) {
        self.wait_for(
            "!document.querySelector('hotplate-error-overlay')",
            "the overlay to go",
        );
    }

    /// Sends a CDP command to this tab's session.
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.browser.call(Some(&self.session), method, params)
    }

    pub fn close(self) {
        self.browser.call(
            None,
            "Target.closeTarget",
            json!({ "targetId": self.target }),
        );
    }
}

/// A port on loopback that nothing listens on now, for a server (or a backend) started later.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port on loopback")
}

/// A site made of `files` (path from the root, content), in a new temporary folder.
pub fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    dir
}

/// Writes `text` to `root/name`, making the folders on the way.
pub fn write(root: &Path, name: &str, text: &str) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().expect("a file in a folder")).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Copies the folder `fixture` into a new temporary folder, for a test to edit.
pub fn copy_site(fixture: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_dir(fixture, dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()))
    {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A response read whole by [`http_get`].
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `GET url` (`http://host:port/path`) with `headers`, over a fresh connection, read whole: a
/// plain client, with no opinion about encodings or caching.
pub fn http_get(url: &str, headers: &[(&str, &str)]) -> Fetched {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = std::net::TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect::<Vec<_>>();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Fetched {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&raw[..end])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 2 + size + 2..];
    }
    out
}
