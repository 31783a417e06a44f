//! `--exec`: the backend hotplate starts, restarts and stops, as awkward commands make it.
//!
//! - A command that daemonizes (`setsid app &`) exits at once while its server answers:
//!   hotplate proxies to it, and stops it on restart and when hotplate stops.
//! - A line of output without end (a progress bar) is cut: hotplate's memory stays bounded.
//! - A backend that writes a file that restarts it is restarted ever more slowly, and the
//!   overlay says why.
//! - What a command printed just before it exited is in the overlay.

mod util;
use hotplate::settings::{Globs, Proxy};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use testkit::free_port;

/// hotplate in front of `command` on a free port, in a folder of `files`.
fn supervising(
    command: &str,
    files: &[(&str, &str)],
    configure: impl FnOnce(&mut Proxy),
) -> util::Running {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    let port = free_port();
    util::run_dir(dir, |settings| {
        let mut proxy = Proxy::to(&format!("http://127.0.0.1:{port}")).unwrap();
        proxy.exec = Some(command.to_string());
        proxy.patience = Duration::from_secs(5);
        configure(&mut proxy);
        settings.proxy_to(proxy, &[]).unwrap();
    })
}

/// The processes (not exited) whose environment carries `HOTPLATE_BACKEND=<boot>`.
fn marked_processes(boot: &str) -> Vec<u32> {
    let mark = format!("HOTPLATE_BACKEND={boot}");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let zombie = stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            let marked = environ.split(|b| *b == 0).any(|e| e == mark.as_bytes());
            (marked && !zombie).then_some(pid)
        })
        .collect()
}

fn wait_until(what: &str, patience: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + patience;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

const NAVIGATION: &[(&str, &str)] = &[("accept", "text/html")];

#[test]
fn a_command_that_daemonizes_is_proxied_and_stopped_on_restart_and_exit() {
    let hotplate = supervising(
        "setsid python3 -m http.server \"$PORT\" --bind 127.0.0.1 >/dev/null 2>&1 </dev/null &",
        &[("hello.txt", "served by the daemon\n")],
        |_| {},
    );
    let boot = hotplate.app.settings.boot.clone();
    let runtime = hotplate.runtime();
    let reply = runtime.block_on(hotplate.get("/hello.txt"));
    let why = reply.text();
    let why = why.split("hotplate-backend-why\">").nth(1).unwrap_or(&why);
    assert_eq!(reply.status, 200, "{why}");
    assert_eq!(reply.text(), "served by the daemon\n");
    let first = marked_processes(&boot);
    assert_eq!(first.len(), 1, "{first:?}");

    // A restart stops the daemon (it is in a session of its own) and starts a new one.
    hotplate.app.backend.as_ref().unwrap().restart();
    wait_until("the first daemon to stop", Duration::from_secs(10), || {
        !marked_processes(&boot).contains(&first[0])
    });
    wait_until("a new daemon", Duration::from_secs(10), || {
        marked_processes(&boot).len() == 1
    });
    let reply = runtime.block_on(hotplate.get_with("/hello.txt", NAVIGATION));
    assert_eq!(reply.status, 200, "{}", reply.text());

    // When the daemon goes, the backend is down.
    let second = marked_processes(&boot);
    Command::new("kill")
        .args(["-KILL", &second[0].to_string()])
        .status()
        .unwrap();
    let backend = hotplate.app.backend.as_ref().unwrap();
    wait_until("the backend to be down", Duration::from_secs(5), || {
        format!("{:?}", backend.state()).starts_with("Down")
    });
    backend.restart();
    wait_until("a third daemon", Duration::from_secs(10), || {
        marked_processes(&boot).len() == 1
    });

    // Stopping hotplate stops it too.
    drop(hotplate);
    wait_until(
        "the daemon to stop with hotplate",
        Duration::from_secs(5),
        || marked_processes(&boot).is_empty(),
    );
}

#[test]
fn a_line_of_output_without_end_is_cut_and_not_held() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let backend = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotplate"))
        .arg("serve")
        .arg(dir.path())
        .args(["--port", &port.to_string(), "--strict-port"])
        .args(["--proxy", &format!("http://127.0.0.1:{backend}"), "--exec"])
        // 200 MB with no newline, a progress bar's `\r`s, then a line that ends.
        .arg(
            "head -c 200000000 /dev/zero | tr '\\0' x; printf ' 10%%\\r 50%%\\r100%%\\ndone-marker\\n'; sleep 60",
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (lines, printed) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut long = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = printed
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the backend's output to come through");
        if line.starts_with("[backend] xxxx") {
            long = Some(line.len());
        }
        if line == "[backend] done-marker" {
            break;
        }
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let long = long.expect("the long line, cut");
    eprintln!(
        "a 200 MB line: printed as {long} bytes, RSS peak {} MB",
        peak_kb / 1024
    );
    assert!(long < 5_000, "a line of {long} bytes was printed");
    assert!(
        peak_kb < 100 * 1024,
        "hotplate's RSS peaked at {} MB for a 200 MB line",
        peak_kb / 1024
    );
}

#[test]
fn a_backend_that_restarts_itself_is_restarted_ever_more_slowly() {
    let hotplate = supervising(
        "date +%s%N >> starts.log; date +%s%N > again.trigger; exec sleep 60",
        &[],
        |proxy| proxy.restart_on = Globs::new(vec!["*.trigger".into()]).unwrap(),
    );
    let runtime = hotplate.runtime();
    let mut events = runtime.block_on(util::open_stream(
        hotplate::testing::serve::router(hotplate.app.clone()),
        "/__hotplate/events",
        &[],
    ));
    let deadline = Instant::now() + Duration::from_secs(15);
    let waiting = runtime.block_on(async {
        loop {
            assert!(Instant::now() < deadline, "the overlay never said it waits");
            let error = events.next_named("error").await.json();
            let message = error["message"].as_str().unwrap().to_string();
            if message.contains("waiting") {
                break message;
            }
        }
    });
    assert!(waiting.contains("restarted 3 times"), "{waiting}");
    std::thread::sleep(Duration::from_secs(4));
    let starts = hotplate.read("starts.log").lines().count();
    // 3 quick starts, then 0.5, 1 and 2 s pauses: about 6 by now, not thousands.
    assert!((4..=9).contains(&starts), "{starts} starts");
}

#[test]
fn what_a_command_printed_before_it_exited_is_in_the_overlay() {
    let hotplate = supervising(
        // Each run's output differs (the overlay shows a problem again only when it changed).
        "n=$(cat runs 2>/dev/null || echo 0); echo $((n+1)) > runs; i=0; while [ $i -lt 3000 ]; do echo \"line $i\"; i=$((i+1)); done; echo \"last-words $n\"; exit 3",
        &[],
        |_| {},
    );
    let runtime = hotplate.runtime();
    let mut events = runtime.block_on(util::open_stream(
        hotplate::testing::serve::router(hotplate.app.clone()),
        "/__hotplate/events",
        &[],
    ));
    for round in 0..3 {
        // A fresh start each round (the first may have ended before the stream was open).
        hotplate.app.backend.as_ref().unwrap().restart();
        let error = runtime.block_on(async {
            loop {
                let error = events.next_named("error").await.json();
                if error["message"].as_str().unwrap().contains("exited") {
                    break error;
                }
            }
        });
        let frame = error["frame"].as_str().unwrap();
        assert!(
            frame.lines().last().unwrap_or("").starts_with("last-words"),
            "round {round}: the overlay ends with {:?}",
            frame.lines().last()
        );
    }
}

#[test]
fn the_binary_asked_to_stop_stops_a_daemonized_backend_before_it_exits() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "hi\n").unwrap();
    let backend = free_port();
    let mut hotplate = Command::new(env!("CARGO_BIN_EXE_hotplate"))
        .args(["serve", dir.path().to_str().unwrap(), "--port"])
        .arg(free_port().to_string())
        .args(["--strict-port", "--proxy"])
        .arg(format!("http://127.0.0.1:{backend}"))
        .arg("--exec")
        .arg(
            "setsid python3 -m http.server \"$PORT\" --bind 127.0.0.1 >/dev/null 2>&1 </dev/null &",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let answers = || std::net::TcpStream::connect(("127.0.0.1", backend)).is_ok();
    wait_until("the daemon to listen", Duration::from_secs(15), answers);

    Command::new("kill")
        .args(["-TERM", &hotplate.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while hotplate.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "hotplate did not exit on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !answers(),
        "the backend still answers after hotplate exited: it outlived it"
    );
}
