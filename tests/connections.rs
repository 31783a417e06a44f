//! Connections, as a client on a real socket sees them.
//!
//! - Responses go out without Nagle's delay: ten requests on one kept-alive connection take
//!   about as long each as the first (with Nagle on, each after the first waited ~40 ms for the
//!   client's delayed ACK).
//! - A client that trickles its request head (slowloris) is dropped after the header timeout,
//!   and so is a kept-alive connection left idle that long: many such clients hold no sockets.
//! - An event stream is a response, not an idle connection: it stays open past the timeout.
//! - Slow renders never hold up other requests: they run on the pool, not the async workers.
//! - Running out of file descriptors is logged once, with what to do, and serving recovers
//!   when connections close.

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_millis(400);

fn running() -> util::Running {
    util::run_dir(testkit::copy_site(&util::fixture("basic")), |settings| {
        settings.header_timeout = TIMEOUT
    })
}

fn connect(server: &util::Running) -> TcpStream {
    let stream = TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Sends a GET on a kept-alive connection and reads the whole response; returns its status.
fn get(reader: &mut BufReader<TcpStream>, path: &str) -> u16 {
    // One write, as browsers and wrk send a request: the client's own Nagle stays out of it.
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    reader.get_mut().write_all(request.as_bytes()).unwrap();
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    status.split(' ').nth(1).unwrap().parse().unwrap()
}

/// Whether the server closed `stream` within `patience`.
fn closed_within(stream: &mut TcpStream, patience: Duration) -> bool {
    stream.set_read_timeout(Some(patience)).unwrap();
    let mut buffer = [0; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn requests_on_a_kept_alive_connection_are_not_held_back_by_nagle() {
    let server = running();
    let mut reader = BufReader::new(connect(&server));
    let mut times = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        assert_eq!(get(&mut reader, "/alphabet.txt"), 200);
        times.push(started.elapsed());
    }
    let mut later = times[1..].to_vec();
    later.sort();
    let median = later[later.len() / 2];
    assert!(
        median < Duration::from_millis(25),
        "requests after the first took {times:?}: Nagle's algorithm is back"
    );
}

#[test]
fn a_client_that_trickles_its_headers_is_dropped() {
    let server = running();
    let mut streams: Vec<TcpStream> = (0..100).map(|_| connect(&server)).collect();
    let started = Instant::now();
    // Each sends a little of its head, never the end of it.
    while started.elapsed() < TIMEOUT * 3 {
        for stream in &mut streams {
            let _ = stream.write_all(b"GET / HTTP/1.1\r\nX-Slow: a\r\n");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for (i, stream) in streams.iter_mut().enumerate() {
        assert!(
            closed_within(stream, Duration::from_secs(5)),
            "trickling connection {i} is still open"
        );
    }
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let server = running();
    let mut reader = BufReader::new(connect(&server));
    assert_eq!(get(&mut reader, "/alphabet.txt"), 200);
    assert!(closed_within(reader.get_mut(), TIMEOUT * 5));
}

#[test]
fn an_event_stream_outlives_the_header_timeout() {
    let server = running();
    let mut stream = connect(&server);
    stream
        .write_all(b"GET /__hotplate/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    std::thread::sleep(TIMEOUT * 3);
    server
        .app
        .live
        .send_custom("still-there", serde_json::json!(1));
    let mut seen = String::new();
    let mut buffer = [0; 4096];
    while !seen.contains("still-there") {
        let n = stream.read(&mut buffer).expect("the stream is still open");
        assert!(n > 0, "the server closed the event stream: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
}

#[test]
fn slow_renders_do_not_hold_up_other_requests() {
    let server = running();
    server.write(
        "pages/slow.html",
        "{% for i in range(3000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}slow",
    );
    let renders: Vec<_> = (0..2)
        .map(|_| {
            let mut reader = BufReader::new(connect(&server));
            std::thread::spawn(move || {
                let started = Instant::now();
                get(&mut reader, "/slow");
                started.elapsed()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut reader = BufReader::new(connect(&server));
    let started = Instant::now();
    assert_eq!(get(&mut reader, "/alphabet.txt"), 200);
    let quick = started.elapsed();
    let slow: Vec<Duration> = renders.into_iter().map(|r| r.join().unwrap()).collect();
    assert!(
        slow.iter().all(|t| *t > quick * 4),
        "the renders were not slow enough to tell: {slow:?} vs {quick:?}"
    );
    assert!(
        quick < Duration::from_millis(500),
        "a static file waited {quick:?} behind renders of {slow:?}"
    );
}

/// The binary serving `root` on `port` with at most `files` open descriptors; its log, piped.
fn serve_with_descriptor_limit(
    root: &std::path::Path,
    port: u16,
    files: u32,
) -> std::process::Child {
    std::process::Command::new("sh")
        .args([
            "-c",
            &format!("ulimit -n {files} && exec \"$0\" serve \"$1\" --strict-port --port {port}"),
            env!("CARGO_BIN_EXE_hotplate"),
            root.to_str().unwrap(),
        ])
        .env("RUST_LOG", "hotplate=info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn running_out_of_descriptors_is_logged_and_serving_recovers() {
    let site = testkit::copy_site(&util::fixture("basic"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = serve_with_descriptor_limit(site.path(), port, 64);
    let address = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(&address).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Far more connections than the server has descriptors for, all held open.
    let held: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(&address).ok())
        .collect();
    let (lines, log) = std::sync::mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let line = loop {
        let line = log
            .recv_timeout(Duration::from_secs(10))
            .expect("a log line saying that connections cannot be accepted");
        if line.contains("cannot accept connections") {
            break line;
        }
    };
    assert!(line.contains("ulimit"), "the log says what to do: {line}");
    drop(held);
    let mut served = false;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !served && Instant::now() < deadline {
        if let Ok(stream) = TcpStream::connect(&address) {
            stream
                .set_read_timeout(Some(Duration::from_secs(2)))
                .unwrap();
            let mut reader = BufReader::new(stream);
            served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                get(&mut reader, "/alphabet.txt")
            }))
            .is_ok_and(|status| status == 200);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(served, "serving did not recover once connections closed");
}
