//! Start-up on a large tree: the `hotplate` binary serving a generated site of 100,000 files.
//!
//! Run: `cargo bench --bench large_tree` (add `-- 20000` for another file count).
//!
//! Over five starts it reports, as medians:
//! - first response: from spawning the process to the first complete HTTP response to `/`;
//! - watcher armed: as the server logs it, from the start of its run;
//! - RSS once armed (VmRSS of the process);
//! - change to message: from writing a file to the hub's message about it, over 20 edits of
//!   one file (it must not grow with the tree).
//!
//! Then one start with `--poll`: the share of a core it takes while nothing changes, and
//! change to message.
//!
//! Targets (DESIGN.md): first response within 50 ms, watcher armed within 1 s, under 10 MB.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const STARTS: usize = 5;
const EDITS: usize = 20;

fn main() {
    let files: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let site = tempfile::tempdir().unwrap();
    let made = Instant::now();
    generate(site.path(), files);
    println!("{files} files generated in {:?}", made.elapsed());

    let (mut first, mut armed, mut rss, mut change) = (vec![], vec![], vec![], vec![]);
    for _ in 0..STARTS {
        let port = free_port();
        let started = Instant::now();
        let mut child = spawn(site.path(), port, &[]);
        let body = loop {
            if let Some(body) = get(port, "/") {
                break body;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "no answer");
            std::thread::sleep(Duration::from_micros(200));
        };
        first.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(body.contains("page 0"), "the home page answered");
        let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
        let line = log
            .by_ref()
            .map_while(Result::ok)
            .find(|l| l.contains("watching"))
            .expect("the watcher reports being armed");
        armed.push(parse_ms(&line));
        rss.push(rss_mb(&child));
        change.push(change_latency(site.path(), port, &mut log));
        stop(&mut child);
    }
    report("first response (ms)", first);
    report("watcher armed (ms)", armed);
    report("RSS once armed (MB)", rss);
    report("change to message (ms)", change);
    poll(site.path());
}

/// `--poll` on the same tree: the share of a core it takes while nothing changes (it must not
/// read files, only `stat` them), and change to message.
fn poll(root: &Path) {
    let port = free_port();
    let mut child = spawn(root, port, &["--poll"]);
    let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
    log.by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("watching"))
        .expect("the poller reports being armed");
    std::thread::sleep(Duration::from_secs(1));
    let (ticks, started) = (cpu_ticks(&child), Instant::now());
    std::thread::sleep(Duration::from_secs(5));
    let used = (cpu_ticks(&child) - ticks) as f64 / TICKS_PER_SECOND;
    let idle = 100.0 * used / started.elapsed().as_secs_f64();
    println!("  --poll, idle: {idle:.1}% of a core");
    report(
        "--poll change to message (ms)",
        vec![change_latency(root, port, &mut log)],
    );
    stop(&mut child);
}

/// The release binary serving `root` on `port`, logging to a pipe.
fn spawn(root: &Path, port: u16, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_hotplate"))
        .args([
            "serve",
            root.to_str().unwrap(),
            "--strict-port",
            "--port",
            &port.to_string(),
        ])
        .args(extra)
        .env("RUST_LOG", "hotplate=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Linux's USER_HZ, the unit of /proc/<pid>/stat's times.
const TICKS_PER_SECOND: f64 = 100.0;

/// User plus system time of `child`, in clock ticks.
fn cpu_ticks(child: &Child) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap();
    // Fields after the command name, which is in parentheses: utime and stime are 14 and 15.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// `files` files in folders of 100, a home page, and a `.gitignore`d `node_modules` of the
/// same size that must cost nothing.
fn generate(root: &Path, files: usize) {
    std::fs::create_dir_all(root.join("pages")).unwrap();
    std::fs::write(
        root.join("pages/index.html"),
        "<!doctype html><html><head></head><body>page {{ 0 }}</body></html>",
    )
    .unwrap();
    std::fs::write(root.join(".gitignore"), "node_modules/\n").unwrap();
    for i in 0..files {
        let dir = root.join(format!("src/d{}/e{}", i / 1000, (i / 100) % 10));
        if i % 100 == 0 {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::create_dir_all(root.join(format!(
                "node_modules/d{}/e{}",
                i / 1000,
                (i / 100) % 10
            )))
            .unwrap();
        }
        std::fs::write(dir.join(format!("f{i}.css")), "a{}").unwrap();
    }
}

/// Median milliseconds from writing a file to the server logging the batch.
fn change_latency(
    root: &Path,
    port: u16,
    log: &mut impl Iterator<Item = std::io::Result<String>>,
) -> f64 {
    let _ = port;
    let file = root.join("src/d0/e0/f0.css");
    let mut samples = Vec::new();
    for i in 0..EDITS {
        std::thread::sleep(Duration::from_millis(50));
        let before = Instant::now();
        std::fs::write(&file, format!("a{{color:#{i:06}}}")).unwrap();
        log.map_while(Result::ok)
            .find(|l| l.contains("src/d0/e0/f0.css"))
            .expect("the batch is logged");
        samples.push(before.elapsed().as_secs_f64() * 1000.0);
    }
    median(samples)
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.starts_with("HTTP/1.1 200").then_some(response)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The duration in a line such as `watching 1001 folders (12.3ms)`, in milliseconds.
fn parse_ms(line: &str) -> f64 {
    let inner = line.rsplit('(').next().unwrap().trim_end_matches(')');
    let (number, unit) =
        inner.split_at(inner.find(|c: char| c.is_alphabetic() || c == 'µ').unwrap());
    let value: f64 = number.parse().unwrap();
    match unit {
        "ms" => value,
        "s" => value * 1000.0,
        "µs" => value / 1000.0,
        "ns" => value / 1e6,
        other => panic!("unit {other} in {line}"),
    }
}

fn rss_mb(child: &Child) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap();
    kb / 1024.0
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn report(name: &str, samples: Vec<f64>) {
    let all = samples
        .iter()
        .map(|s| format!("{s:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    println!("  {name:<26} median {:>8.2}   ({all})", median(samples));
}
