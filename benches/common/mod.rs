//! What the benches share: hotplate serving a folder in this process, the report line, npm and
//! the React example beside Vite, and ([`loopback`]) a bounded load generator.
#![allow(dead_code)] // each bench uses some of it

pub mod loopback;

use hotplate::{Server, Settings};
use std::path::Path;

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
    let version = std::fs::read_to_string(theirs.path().join("node_modules/vite/package.json"))
        .ok()
        .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
        .and_then(|json| json["version"].as_str().map(str::to_string))
        .unwrap_or_default();
    (ours, theirs, version)
}
