//! `hotplate serve --proxy` against a hostile or slow backend: what the process holds.
//!
//! The binary runs in front of a backend written here on plain sockets, which streams its
//! documents chunked the way an adversary would. Each test reads the hotplate process's own
//! memory and threads from `/proc` and asserts a bound.
//! - A tag or attribute that never ends, or an inline module that never ends, does not grow
//!   hotplate's memory: past a limit the rest passes through untouched, byte for byte.
//! - A browser that reads slowly holds the backend back: hotplate does not read ahead of it.
//! - Documents whose backend hangs hold no thread: other pages and hot updates go on, and a
//!   browser that leaves closes its backend connection.
//! - A proxy to hotplate itself is refused, at start and per request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use testkit::free_port;

const MB: u64 = 1 << 20;

/// The page the backend streams, around what a test puts in its middle.
const HEAD: &str = "<!doctype html><html><head><title>streamed</title></head><body>";
const TAIL: &str = "<p id=\"end\">end</p></body></html>";

/// What the backend streams for a path: a head, `middle` repeated to `length` bytes, a tail.
#[derive(Clone)]
struct Stream {
    open: &'static str,
    middle: &'static [u8],
    length: u64,
    close: &'static str,
}

fn stream_for(path: &str) -> Option<Stream> {
    let attribute = Stream {
        open: "<img src=\"",
        middle: b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        length: 128 * MB,
        close: "\">",
    };
    Some(match path {
        "/attribute" | "/attribute-gzip" => attribute,
        "/module" => Stream {
            open: "<script type=\"module\">",
            middle: b"console.log('a long line of a module that never ends');\n",
            length: 128 * MB,
            close: "</script>",
        },
        "/large" => Stream {
            open: "",
            middle: b"<p>a paragraph of an ordinary but very long page</p>\n",
            length: 256 * MB,
            close: "",
        },
        _ => return None,
    })
}

/// The backend: streamed documents, a page that hangs after its head, and a small page.
struct Backend {
    port: u16,
    /// Bytes of `/large` written to hotplate so far.
    written: Arc<AtomicU64>,
    /// `/hang` requests whose connection hotplate still holds open.
    hanging: Arc<AtomicUsize>,
}

impl Backend {
    fn start() -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let backend = Backend {
            port: listener.local_addr().unwrap().port(),
            written: Arc::default(),
            hanging: Arc::default(),
        };
        let (written, hanging) = (backend.written.clone(), backend.hanging.clone());
        std::thread::spawn(move || {
            for connection in listener.incoming().flatten() {
                let (written, hanging) = (written.clone(), hanging.clone());
                std::thread::spawn(move || answer(connection, &written, &hanging));
            }
        });
        backend
    }
}

/// Answers each request on one connection.
fn answer(connection: TcpStream, written: &AtomicU64, hanging: &AtomicUsize) {
    let mut reader = BufReader::new(connection.try_clone().unwrap());
    let mut out = connection;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
        }
        let path = request_line.split(' ').nth(1).unwrap_or("/").to_string();
        if path == "/hang" || path == "/hang-with-length" {
            let head = if path == "/hang" {
                format!(
                    "{}{}",
                    chunked_head("text/html", None),
                    chunk(HEAD.as_bytes())
                )
            } else {
                // A length it never reaches.
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 100000\r\n\r\n{HEAD}"
                )
            };
            let _ = out.write_all(head.as_bytes());
            hanging.fetch_add(1, Ordering::SeqCst);
            // Until hotplate closes the connection.
            let _ = reader.read(&mut [0; 1]);
            hanging.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        let Some(stream) = stream_for(&path) else {
            let page =
                format!("{HEAD}<script type=\"module\" src=\"/static/app.js\"></script>{TAIL}");
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{page}",
                page.len()
            );
            if out.write_all(reply.as_bytes()).is_err() {
                return;
            }
            continue;
        };
        let gzip = path.ends_with("-gzip");
        let counted = (path == "/large").then_some(written);
        if send_stream(&mut out, &stream, gzip, counted).is_err() {
            return;
        }
    }
}

fn chunked_head(content_type: &str, encoding: Option<&str>) -> String {
    let encoding = encoding.map_or(String::new(), |e| format!("content-encoding: {e}\r\n"));
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n{encoding}transfer-encoding: chunked\r\n\r\n"
    )
}

fn chunk(data: &[u8]) -> String {
    format!("{:x}\r\n{}\r\n", data.len(), String::from_utf8_lossy(data))
}

/// Writes `stream` chunked (gzip-compressed when asked), 64 KiB at a time.
fn send_stream(
    out: &mut TcpStream,
    stream: &Stream,
    gzip: bool,
    counted: Option<&AtomicU64>,
) -> std::io::Result<()> {
    out.write_all(chunked_head("text/html", gzip.then_some("gzip")).as_bytes())?;
    let mut encoder =
        gzip.then(|| flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut send = |data: &[u8], out: &mut TcpStream| -> std::io::Result<()> {
        let data = match &mut encoder {
            Some(encoder) => {
                encoder.write_all(data)?;
                encoder.flush()?;
                std::mem::take(encoder.get_mut())
            }
            None => data.to_vec(),
        };
        if data.is_empty() {
            return Ok(());
        }
        out.write_all(format!("{:x}\r\n", data.len()).as_bytes())?;
        out.write_all(&data)?;
        out.write_all(b"\r\n")?;
        if let Some(counted) = counted {
            counted.fetch_add(data.len() as u64, Ordering::SeqCst);
        }
        Ok(())
    };
    send(format!("{HEAD}{}", stream.open).as_bytes(), out)?;
    let block: Vec<u8> = stream
        .middle
        .iter()
        .copied()
        .cycle()
        .take(64 << 10)
        .collect();
    let mut sent = 0;
    while sent < stream.length {
        send(&block, out)?;
        sent += block.len() as u64;
    }
    send(format!("{}{TAIL}", stream.close).as_bytes(), out)?;
    if let Some(encoder) = encoder.take() {
        let rest = encoder.finish()?;
        out.write_all(format!("{:x}\r\n", rest.len()).as_bytes())?;
        out.write_all(&rest)?;
        out.write_all(b"\r\n")?;
    }
    out.write_all(b"0\r\n\r\n")
}

/// The hotplate binary, in front of a backend.
struct Hotplate {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Hotplate {
    fn in_front_of(backend: &Backend) -> Hotplate {
        Hotplate::proxying_to(backend.port, free_port())
    }

    /// The binary on `port`, proxying to `backend_port`, serving a folder with a hot module.
    fn proxying_to(backend_port: u16, port: u16) -> Hotplate {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("static")).unwrap();
        std::fs::write(
            dir.path().join("static/app.js"),
            "import.meta.hot.accept();\nexport const n = 1;\n",
        )
        .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_hotplate"))
            .arg("serve")
            .arg(dir.path())
            .args(["--port", &port.to_string(), "--strict-port", "--proxy"])
            .arg(format!("http://127.0.0.1:{backend_port}"))
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "hotplate did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Hotplate { child, port, dir }
    }

    /// A field of `/proc/<pid>/status`, in kB or as a count.
    fn status(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {status}"))
    }

    fn rss(&self) -> u64 {
        self.status("VmRSS") * 1024
    }

    fn peak_rss(&self) -> u64 {
        self.status("VmHWM") * 1024
    }

    /// A navigation to `path`, its response not read yet.
    fn navigate(&self, path: &str) -> TcpStream {
        self.ask(path, "text/html")
    }

    /// A request for `path` (`accept` as the browser would send it), its response not read yet.
    fn ask(&self, path: &str, accept: &str) -> TcpStream {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost:{}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n",
            self.port
        )
        .unwrap();
        stream
    }

    /// The whole answer to a request for `path` (`accept` as the browser would send it).
    fn get(&self, path: &str, accept: &str) -> Vec<u8> {
        let mut stream = self.ask(path, accept);
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        all
    }
}

impl Drop for Hotplate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a navigation's whole answer while noting hotplate's peak RSS; returns the answer's
/// last bytes and how many bytes came.
fn read_through(hotplate: &Hotplate, path: &str) -> (String, u64) {
    let mut stream = hotplate.navigate(path);
    let mut total = 0u64;
    let mut last = Vec::new();
    let mut buffer = vec![0u8; 256 << 10];
    loop {
        let n = stream.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
        last.extend_from_slice(&buffer[..n]);
        if last.len() > 4096 {
            last.drain(..last.len() - 4096);
        }
    }
    (String::from_utf8_lossy(&last).into_owned(), total)
}

/// The bound asserted on what hotplate holds while a document streams through it.
const HELD: u64 = 64 * MB;

fn assert_streams_through_within_bounds(path: &str, length: u64) {
    let backend = Backend::start();
    let hotplate = Hotplate::in_front_of(&backend);
    let before = hotplate.rss();
    let (end, total) = read_through(&hotplate, path);
    let peak = hotplate.peak_rss();
    eprintln!(
        "{path}: {} MB through, RSS {} MB before, peak {} MB, {} MB after",
        total / MB,
        before / MB,
        peak / MB,
        hotplate.rss() / MB
    );
    assert!(
        end.contains(TAIL),
        "the end of {path} did not come through: …{end}"
    );
    assert!(total > length, "only {total} bytes of {path} came");
    assert!(
        peak < before + HELD,
        "hotplate's RSS went from {} MB to a peak of {} MB for {path}",
        before / MB,
        peak / MB
    );
    // What it held is let go, too.
    assert!(
        hotplate.rss() < before + HELD,
        "{} MB held after {path}",
        hotplate.rss() / MB
    );
}

#[test]
fn an_attribute_that_does_not_end_passes_through_untouched_in_bounded_memory() {
    assert_streams_through_within_bounds("/attribute", 128 * MB);
}

#[test]
fn a_compressed_attribute_that_does_not_end_passes_through_in_bounded_memory() {
    assert_streams_through_within_bounds("/attribute-gzip", 128 * MB);
}

#[test]
fn an_inline_module_that_does_not_end_streams_through_in_bounded_memory() {
    assert_streams_through_within_bounds("/module", 128 * MB);
}

#[test]
fn a_slow_reader_holds_the_backend_back() {
    let backend = Backend::start();
    let hotplate = Hotplate::in_front_of(&backend);
    let before = hotplate.rss();
    let mut stream = hotplate.navigate("/large");
    let mut read = 0u64;
    let mut buffer = vec![0u8; 64 << 10];
    while read < 4 * MB {
        read += stream.read(&mut buffer).unwrap() as u64;
    }
    // The browser stops reading for a while; the backend could write 256 MB meanwhile.
    std::thread::sleep(Duration::from_secs(3));
    let written = backend.written.load(Ordering::SeqCst);
    let held = hotplate.rss().saturating_sub(before);
    eprintln!(
        "slow reader: read {} MB, the backend wrote {} MB, hotplate holds {} MB more",
        read / MB,
        written / MB,
        held / MB
    );
    assert!(
        written < read + HELD,
        "the backend wrote {} MB while the browser read {} MB",
        written / MB,
        read / MB
    );
    assert!(held < HELD, "hotplate holds {} MB more", held / MB);
}

/// Reads an event stream until an event whose block contains `wanted`, or `patience` passes.
fn wait_for_event(events: &mut BufReader<TcpStream>, wanted: &str, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    let mut block = String::new();
    while Instant::now() < deadline {
        let mut line = String::new();
        match events.read_line(&mut line) {
            Ok(0) => return false,
            Ok(_) if line == "\n" => {
                if block.contains(wanted) {
                    return true;
                }
                block.clear();
            }
            Ok(_) => block.push_str(&line),
            Err(_) => {}
        }
    }
    false
}

#[test]
fn documents_waiting_for_their_backend_hold_no_thread_and_let_go_when_the_browser_goes() {
    let backend = Backend::start();
    let hotplate = Hotplate::in_front_of(&backend);
    // A page that loads the hot module, so that a save of it is an update for that page.
    let page = String::from_utf8(hotplate.get("/", "text/html")).unwrap();
    assert!(page.contains("/__hotplate/"), "{page}");
    let module = String::from_utf8(hotplate.get("/static/app.js", "*/*")).unwrap();
    assert!(module.contains("createHotContext"), "{module}");
    let mut events = TcpStream::connect(("127.0.0.1", hotplate.port)).unwrap();
    events
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    write!(
        events,
        "GET /__hotplate/events HTTP/1.1\r\nHost: localhost:{}\r\nAccept: text/event-stream\r\n\r\n",
        hotplate.port
    )
    .unwrap();
    let mut events = BufReader::new(events);
    // The watcher is armed once a save is heard.
    let module_file = hotplate.dir.path().join("static/app.js");
    let mut armed = false;
    for n in 0..40 {
        std::fs::write(
            &module_file,
            format!("import.meta.hot.accept();\nexport const n = {n};\n"),
        )
        .unwrap();
        if wait_for_event(&mut events, "app.js", Duration::from_millis(500)) {
            armed = true;
            break;
        }
    }
    assert!(armed, "no save was heard");

    // 64 documents whose backend sent its head and nothing more.
    // Half streamed, half of a length the backend never reaches.
    let hanging: Vec<TcpStream> = (0..64)
        .map(|n| {
            hotplate.navigate(if n % 2 == 0 {
                "/hang"
            } else {
                "/hang-with-length"
            })
        })
        .collect();
    let started = Instant::now();
    while backend.hanging.load(Ordering::SeqCst) < 64 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the 64 requests did not arrive"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let threads = hotplate.status("Threads");
    eprintln!("64 waiting documents: {threads} threads");
    // Fewer than one a document: the pool may start up to its 32 threads for the burst of
    // short jobs 64 arriving documents make, and keeps them, idle.
    assert!(threads < 64, "{threads} threads for 64 waiting documents");

    // Other requests are answered, and a save reaches the page, within a second each.
    let asked = Instant::now();
    let module = String::from_utf8(hotplate.get("/static/app.js", "*/*")).unwrap();
    assert!(module.contains("createHotContext"), "{module}");
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?} for a module",
        asked.elapsed()
    );
    std::fs::write(
        &module_file,
        "import.meta.hot.accept();\nexport const n = 'saved';\n",
    )
    .unwrap();
    assert!(
        wait_for_event(&mut events, "\"type\":\"js\"", Duration::from_secs(1)),
        "the save did not reach the page within a second"
    );

    // The browsers go: so do hotplate's connections to the backend.
    drop(hanging);
    let started = Instant::now();
    while backend.hanging.load(Ordering::SeqCst) > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{} backend connections still open after their browsers left",
            backend.hanging.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_proxy_to_hotplates_own_address_is_refused_at_start() {
    for host in ["127.0.0.1", "localhost", "0.0.0.0"] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_hotplate"))
            .arg("serve")
            .arg(dir.path())
            .args(["--port", &port.to_string(), "--strict-port", "--proxy"])
            .arg(format!("http://{host}:{port}"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{host}: it served");
        assert!(
            stderr.contains("hotplate's own address"),
            "{host}: {stderr}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

#[test]
fn a_request_that_comes_back_through_the_proxy_is_refused() {
    // A relay that forwards every connection to hotplate: --proxy names the relay, so each
    // request would go round for ever.
    let relay = TcpListener::bind("127.0.0.1:0").unwrap();
    let relay_port = relay.local_addr().unwrap().port();
    let hotplate_port = free_port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for browser in relay.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            let Ok(hotplate) = TcpStream::connect(("127.0.0.1", hotplate_port)) else {
                continue;
            };
            let (mut from, mut to) = (browser.try_clone().unwrap(), hotplate.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut from, &mut to));
            let (mut from, mut to) = (hotplate, browser);
            std::thread::spawn(move || std::io::copy(&mut from, &mut to));
        }
    });
    let hotplate = Hotplate::proxying_to(relay_port, hotplate_port);
    let answer = String::from_utf8_lossy(&hotplate.get("/page", "*/*")).into_owned();
    assert!(answer.starts_with("HTTP/1.1 508"), "{answer}");
    assert!(answer.contains("leads back to hotplate itself"), "{answer}");
    // Once round, not until the descriptors run out.
    assert!(
        connections.load(Ordering::SeqCst) <= 2,
        "{connections:?} trips"
    );
}
