//! What the benches share: hotplate serving a folder in this process, the report line, and
//! ([`loopback`]) a bounded load generator.
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
