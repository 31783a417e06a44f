//! What `hotplate::layer` adds to an axum app's responses.
//!
//! Run: `cargo bench --bench layer_overhead` (add `-- 4000` for more requests per round).
//!
//! Two copies of one axum app in this process, one without the layer and one with it, on
//! loopback. The load generator is bounded: one kept-alive HTTP/1.1 connection per app, one
//! request at a time, so each sample is one request's latency and nothing queues. Rounds
//! alternate between the two apps so both see the same machine. Two responses:
//! - `/health`: a small JSON response (the layer looks at it and passes it on);
//! - `/page`: a 100 KB HTML page (the layer reads it, injects the runtime, records what it
//!   loads, and sends it with an ETag of its own).
//!
//! Reports p50 and p99 in microseconds for each, and what the layer adds.
//! Target (issue 10): under 50 µs added at p50 for non-HTML.

mod common;
use common::loopback::{ROUNDS, app, compare, connect};

use axum::Router;

fn main() {
    let per_round: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(per_round));
}

async fn serve(router: Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(axum::serve(listener, router).into_future());
    port
}

async fn run(per_round: usize) {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("static")).unwrap();
    let hot = hotplate::layer()
        .root(site.path())
        .assets("/static", "static")
        .enabled(true)
        .build()
        .unwrap();
    hot.armed().await;
    let plain_port = serve(app()).await;
    let hot_port = serve(app().layer(hot)).await;
    let mut plain = connect(plain_port).await;
    let mut with_layer = connect(hot_port).await;
    println!("layer_overhead: {ROUNDS} rounds × {per_round} requests, one connection each, µs\n");
    compare(
        &mut plain,
        &mut with_layer,
        per_round,
        ["JSON (non-HTML)", "100 KB HTML"],
    )
    .await;
}
