//! What `hotplate serve --proxy` adds in front of a backend.
//!
//! Run: `cargo bench --bench proxy_overhead` (`-- 4000 2048`: 4000 requests per round and a
//! 2048 MB download; the defaults are 2000 and 1024).
//!
//! A backend (an axum app) and hotplate in front of it, in this process, on loopback. The
//! load generator is bounded: one kept-alive HTTP/1.1 connection to each, one request at a
//! time, so each sample is one request's latency and nothing queues. Rounds alternate between
//! the backend directly and hotplate, so both see the same machine. Two responses:
//! - `/health`: a small JSON response (forwarded as it is: the proxy's own cost);
//! - `/page`: a 100 KB HTML page (read, the runtime injected, recorded, sent with an ETag).
//!
//! Then one large download through hotplate, read and dropped as it comes: the process's peak
//! RSS before and after says whether streaming holds memory flat.
//!
//! Targets (issue 11): under 0.2 ms added at p50; memory flat on a 1 GB download.

mod common;
use common::loopback::{ROUNDS, app, compare, connect};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, header};
use axum::routing::get;
use http_body_util::BodyExt;
use std::time::{Duration, Instant};

fn main() {
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let per_round = numbers.first().copied().unwrap_or(2000);
    let download_mb = numbers.get(1).copied().unwrap_or(1024);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(per_round, download_mb));
}

/// Streams `mb` megabytes in 64 KB chunks of one shared buffer (the backend holds no memory).
fn download(mb: usize) -> Body {
    let chunk = Bytes::from(vec![b'x'; 64 << 10]);
    let chunks = futures_util::stream::iter(0..mb * 16)
        .map(move |_| Ok::<_, std::convert::Infallible>(chunk.clone()));
    Body::from_stream(chunks)
}

use futures_util::StreamExt;

/// The app, and a download of `download_mb` megabytes.
fn backend(download_mb: usize) -> Router {
    app().route(
        "/download",
        get(move || async move { download(download_mb) }),
    )
}

/// `VmRSS` and `VmHWM` (peak) of this process, in MB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn run(per_round: usize, download_mb: usize) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend_port = listener.local_addr().unwrap().port();
    tokio::spawn(axum::serve(listener, backend(download_mb)).into_future());

    let root = tempfile::tempdir().unwrap();
    let mut settings = hotplate::Settings::for_root(root.path()).unwrap();
    let proxy = hotplate::settings::Proxy::to(&format!("http://127.0.0.1:{backend_port}")).unwrap();
    settings.proxy_to(proxy, &[]).unwrap();
    let server = hotplate::Server::bind(settings).await.unwrap();
    if let Some(arming) = server.arming() {
        arming.wait().await;
    }
    let hotplate_port = server.local_addr().port();
    tokio::spawn(server.run_until(std::future::pending()));

    let mut direct = connect(backend_port).await;
    let mut proxied = connect(hotplate_port).await;
    println!("proxy_overhead: {ROUNDS} rounds × {per_round} requests, one connection each, µs\n");
    compare(
        &mut direct,
        &mut proxied,
        per_round,
        ["JSON (forwarded)", "100 KB HTML (injected)"],
    )
    .await;

    // The download, through hotplate, read and dropped as it arrives.
    let (rss_before, peak_before) = memory();
    let req = Request::get("/download")
        .header(header::HOST, "localhost")
        .body(Body::empty())
        .unwrap();
    proxied.ready().await.unwrap();
    let started = Instant::now();
    let mut body = proxied.send_request(req).await.unwrap().into_body();
    let mut received = 0usize;
    let mut peak_during = rss_before;
    let mut last_sample = Instant::now();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            received += data.len();
        }
        if last_sample.elapsed() > Duration::from_millis(50) {
            peak_during = peak_during.max(memory().0);
            last_sample = Instant::now();
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (rss_after, peak_after) = memory();
    assert_eq!(received, download_mb << 20);
    println!(
        "\n  {download_mb} MB download through hotplate: {:.0} MB/s; RSS {rss_before:.1} MB before, \
         {peak_during:.1} MB at most while streaming, {rss_after:.1} MB after; \
         peak RSS {peak_before:.1} → {peak_after:.1} MB",
        download_mb as f64 / elapsed
    );
}
