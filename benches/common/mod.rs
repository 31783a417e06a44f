//! What the benches share: hotplate serving a folder in this process, the report line, npm and
//! the React example beside Vite, and ([`loopback`]) a bounded load generator.
#![allow(dead_code)] // each bench uses some of it

pub mod loopback;

use hotplate::{Server, Settings};
use std::path::Path;

/// The first number on the bench's command line (`cargo bench --bench x -- 50`), else
/// `default`: how many edits or rounds to measure.
pub fn count_arg(default: usize) -> usize {
    std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(default)
}

/// Serves `root` in dev mode on `127.0.0.1:0`; the URL and the runtime that keeps it running.
pub fn serve(root: &Path) -> (String, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(Server::bind(Settings::for_root(root).unwrap()))
        .unwrap();
    let url = format!("http://127.0.0.1:{}", server.local_addr().port());
    runtime.spawn(server.run());
    (url, runtime)
}

/// Serves `root` in dev mode on `127.0.0.1:0` in front of a backend that hotplate starts with
/// `exec` (`--proxy` on a free port, `--exec`). It returns at once; the first page asked for
/// waits until the backend answers.
pub fn serve_proxy(root: &Path, exec: &str) -> (String, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = Settings::for_root(root).unwrap();
    let mut proxy = hotplate::settings::Proxy::to(&format!("http://127.0.0.1:{port}")).unwrap();
    proxy.exec = Some(exec.to_string());
    proxy.restart_on = hotplate::settings::default_restart_globs(&settings.root);
    settings.proxy_to(proxy, &[]).unwrap();
    let server = runtime.block_on(Server::bind(settings)).unwrap();
    let url = format!("http://127.0.0.1:{}", server.local_addr().port());
    runtime.spawn(server.run());
    (url, runtime)
}

/// Prints `name` with the median and p90 of `samples`.
pub fn report(name: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!("  {name:<36} {:>7.2} / {:>7.2}", at(0.5), at(0.9));
}

/// `npm ARGS` in `dir`, which must succeed.
pub fn npm(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("npm")
        .args(args)
        .current_dir(dir)
        .status()
        .expect("npm runs");
    assert!(status.success(), "npm {args:?} in {}", dir.display());
}

/// The middle sample.
pub fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// Two copies of `examples/react-ts` with its packages (`npm ci` first when it has none): one
/// for hotplate, one with `vite` (`vite@8`) and `@vitejs/plugin-react` installed beside them
/// and a `vite.config.mjs` that uses the plugin (Fast Refresh, as `npm create vite` sets up);
/// and Vite's version.
pub fn react_ts_and_vite(vite: &str) -> (tempfile::TempDir, tempfile::TempDir, String) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/react-ts");
    if !example.join("node_modules").is_dir() {
        npm(&example, &["ci", "--no-audit", "--no-fund"]);
    }
    let ours = testkit::copy_site(&example);
    let theirs = testkit::copy_site(&example);
    npm(
        theirs.path(),
        &[
            "install",
            "--no-save",
            "--no-package-lock",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--legacy-peer-deps",
            vite,
            "@vitejs/plugin-react",
        ],
    );
    std::fs::write(
        theirs.path().join("vite.config.mjs"),
        "import react from '@vitejs/plugin-react';\nexport default { plugins: [react()] };\n",
    )
    .unwrap();
    let version = installed_version(theirs.path(), "vite");
    (ours, theirs, version)
}

/// Milliseconds since the epoch: the clock a page's `performance.timeOrigin + now()` uses.
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

/// A port free on loopback now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The version of the package `name` installed in `root`'s `node_modules`.
pub fn installed_version(root: &Path, name: &str) -> String {
    std::fs::read_to_string(root.join("node_modules").join(name).join("package.json"))
        .ok()
        .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
        .and_then(|json| json["version"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Starts Vite's dev server for `root` on `port`, in its own process group, and waits until it
/// accepts connections.
pub fn start_vite(root: &Path, port: u16) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let child = std::process::Command::new("node")
        .arg(root.join("node_modules/vite/bin/vite.js"))
        .args([
            "--port",
            &port.to_string(),
            "--strictPort",
            "--host",
            "127.0.0.1",
        ])
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .expect("node starts Vite");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "Vite did not listen on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child
}

/// Stops a server started with [`start_vite`], with its whole process group.
pub fn stop(mut server: std::process::Child) {
    let group = nix::unistd::Pid::from_raw(server.id() as i32);
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGTERM);
    let _ = server.wait();
}

/// Writes `file` (under `root`) with the text between the first `start` and the `end` after it
/// replaced by `text`.
pub fn replace_between(root: &Path, file: &str, start: &str, end: &str, text: &str) {
    let path = root.join(file);
    let source = std::fs::read_to_string(&path).unwrap();
    let from = source.find(start).unwrap() + start.len();
    let to = from + source[from..].find(end).unwrap();
    std::fs::write(&path, format!("{}{text}{}", &source[..from], &source[to..])).unwrap();
}
