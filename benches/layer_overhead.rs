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

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use std::time::Instant;

const ROUNDS: usize = 10;

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

/// A page of about 100 KB: a head with a stylesheet and a module, and rows of text.
fn page() -> String {
    let mut html = String::from(
        "<!doctype html><html><head><title>bench</title><link rel=stylesheet href=/static/a.css>\
         <script type=module src=/static/a.js></script></head><body><main>",
    );
    let mut row = 0;
    while html.len() < 100_000 {
        html.push_str(&format!(
            "<section id=s{row}><h2>Row {row}</h2><p class=text>Some text for row {row}, \
             with <a href=/rows/{row}>a link</a> and <em>emphasis</em>.</p></section>\n"
        ));
        row += 1;
    }
    html.push_str("</main></body></html>");
    html
}

fn app() -> Router {
    let page = page();
    Router::new()
        .route(
            "/health",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"ok":true}"#,
                )
            }),
        )
        .route(
            "/page",
            get(move || async move { Html(page).into_response() }),
        )
}

async fn serve(router: Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(axum::serve(listener, router).into_future());
    port
}

type Sender = hyper::client::conn::http1::SendRequest<Body>;

async fn connect(port: u16) -> Sender {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    sender
}

/// Latencies (µs) of `count` requests for `path`, one after another.
async fn measure(sender: &mut Sender, path: &str, accept: &str, count: usize) -> Vec<f64> {
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        let req = Request::get(path)
            .header(header::HOST, "localhost")
            .header(header::ACCEPT, accept)
            .body(Body::empty())
            .unwrap();
        sender.ready().await.unwrap();
        let started = Instant::now();
        let response = sender.send_request(req).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        samples.push(started.elapsed().as_secs_f64() * 1e6);
        assert!(!body.is_empty());
    }
    samples
}

fn quantile(samples: &mut [f64], q: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() - 1) as f64 * q).round() as usize]
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
    println!(
        "  {:<22} {:>9} {:>9} {:>9} {:>9} {:>11} {:>11}",
        "response", "p50", "p99", "p50+layer", "p99+layer", "added p50", "added p99"
    );
    for (name, path, accept, count) in [
        ("JSON (non-HTML)", "/health", "*/*", per_round),
        ("100 KB HTML", "/page", "text/html", per_round / 4),
    ] {
        // Warm both up (connections, the pool, caches).
        measure(&mut plain, path, accept, 200).await;
        measure(&mut with_layer, path, accept, 200).await;
        let (mut without, mut with) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            without.extend(measure(&mut plain, path, accept, count).await);
            with.extend(measure(&mut with_layer, path, accept, count).await);
        }
        let (p50, p99) = (quantile(&mut without, 0.5), quantile(&mut without, 0.99));
        let (h50, h99) = (quantile(&mut with, 0.5), quantile(&mut with, 0.99));
        println!(
            "  {name:<22} {p50:>9.1} {p99:>9.1} {h50:>9.1} {h99:>9.1} {:>11.1} {:>11.1}",
            h50 - p50,
            h99 - p99
        );
    }
}
