//! Static files at nginx's pace: `wrk` against nginx (one worker) and against the release
//! hotplate binary in dev and in `--prod`, all serving `examples/site`, in one run.
//!
//! `cargo bench --bench static_throughput [-- SECONDS]` (default 5 s a run). Installs nginx and
//! wrk with apt when they are missing (as root). Reports requests per second with 1 and 32
//! connections, and each hotplate figure as a share of nginx's. The targets (issue 9): `--prod`
//! at least 80% of nginx, dev at least 50%; with one connection, no Nagle stall (about 40 ms a
//! request, 25 requests per second).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    ensure_installed();
    let site = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site");
    let nginx = Nginx::start(&site);
    let dev = Hotplate::start(&site, &[]);
    let prod = Hotplate::start(&site, &["--prod"]);
    let targets = [
        (
            "nginx",
            format!("http://127.0.0.1:{}/public/logo.svg", nginx.port),
        ),
        (
            "hotplate dev",
            format!("http://127.0.0.1:{}/logo.svg", dev.port),
        ),
        (
            "hotplate --prod",
            format!("http://127.0.0.1:{}/logo.svg", prod.port),
        ),
    ];
    println!("static_throughput: GET a 175-byte SVG, {seconds} s a run, requests/s");
    println!(
        "  {:<18} {:>10} {:>10} {:>12}",
        "server", "-c1", "-c32", "-c32 vs nginx"
    );
    let mut nginx_c32 = 0.0;
    for (name, url) in &targets {
        let one = wrk(url, 1, seconds);
        let many = wrk(url, 32, seconds);
        if *name == "nginx" {
            nginx_c32 = many;
        }
        println!(
            "  {name:<18} {one:>10.0} {many:>10.0} {:>11.0}%",
            100.0 * many / nginx_c32
        );
    }
    drop((nginx, dev, prod));
}

fn ensure_installed() {
    let missing: Vec<&str> = ["nginx", "wrk"]
        .into_iter()
        .filter(|tool| {
            !Command::new("sh")
                .args([
                    "-c",
                    &format!("command -v {tool} || test -x /usr/sbin/{tool}"),
                ])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .collect();
    if missing.is_empty() {
        return;
    }
    eprintln!("static_throughput: installing {missing:?} with apt");
    let status = Command::new("sh")
        .args([
            "-c",
            &format!(
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {} >/dev/null",
                missing.join(" ")
            ),
        ])
        .status()
        .expect("apt-get");
    assert!(status.success(), "could not install {missing:?}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Requests per second that `wrk` measured.
fn wrk(url: &str, connections: u32, seconds: u64) -> f64 {
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            url,
        ])
        .output()
        .expect("wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's output: {text}"))
}

struct Nginx {
    port: u16,
    dir: tempfile::TempDir,
}

impl Nginx {
    fn start(site: &Path) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "worker_processes 1;\npid {pid};\nerror_log {log};\nevents {{ worker_connections 1024; }}\n\
                 http {{ access_log off; include /etc/nginx/mime.types;\n\
                 server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n",
                pid = dir.path().join("nginx.pid").display(),
                log = dir.path().join("error.log").display(),
                root = site.display(),
            ),
        )
        .unwrap();
        let nginx = if Path::new("/usr/sbin/nginx").exists() {
            "/usr/sbin/nginx"
        } else {
            "nginx"
        };
        let status = Command::new(nginx)
            .args(["-c", conf.to_str().unwrap()])
            .status()
            .expect("nginx");
        assert!(status.success(), "nginx did not start");
        wait_for(port);
        Nginx { port, dir }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("nginx.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

struct Hotplate {
    port: u16,
    child: Child,
}

impl Hotplate {
    fn start(site: &Path, extra: &[&str]) -> Hotplate {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_hotplate"))
            .args([
                "serve",
                site.to_str().unwrap(),
                "--strict-port",
                "--port",
                &port.to_string(),
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the hotplate binary");
        wait_for(port);
        Hotplate { port, child }
    }
}

impl Drop for Hotplate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
