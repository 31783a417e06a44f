//! What the overhead benches share: the app they serve, and a bounded load generator on
//! loopback (one kept-alive HTTP/1.1 connection, one request at a time, so each sample is one
//! request's latency and nothing queues) that compares two servers in interleaved rounds.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use std::time::Instant;

/// A page of about 100 KB: a head with a stylesheet and a module, and rows of text.
pub fn page() -> String {
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

/// The app both servers answer with: `/health`, a small JSON response, and `/page`, the page
/// of [`page`].
pub fn app() -> Router {
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

/// How many rounds [`compare`] alternates between the two servers.
pub const ROUNDS: usize = 10;

/// Measures `/health` (`per_round` requests a round) and `/page` (a quarter as many) on
/// `base` and on `with`, in alternating rounds after a warm-up, and prints p50 and p99 (µs)
/// for each, and what `with` adds. `names` labels the two responses.
pub async fn compare(base: &mut Sender, with: &mut Sender, per_round: usize, names: [&str; 2]) {
    println!(
        "  {:<22} {:>9} {:>9} {:>9} {:>9} {:>11} {:>11}",
        "response", "p50", "p99", "p50 with", "p99 with", "added p50", "added p99"
    );
    for (name, path, accept, count) in [
        (names[0], "/health", "*/*", per_round),
        (names[1], "/page", "text/html", per_round / 4),
    ] {
        // Warm both up (connections, pools, caches).
        measure(base, path, accept, 200).await;
        measure(with, path, accept, 200).await;
        let (mut without, mut added) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            without.extend(measure(base, path, accept, count).await);
            added.extend(measure(with, path, accept, count).await);
        }
        let (p50, p99) = (quantile(&mut without, 0.5), quantile(&mut without, 0.99));
        let (h50, h99) = (quantile(&mut added, 0.5), quantile(&mut added, 0.99));
        println!(
            "  {name:<22} {p50:>9.1} {p99:>9.1} {h50:>9.1} {h99:>9.1} {:>11.1} {:>11.1}",
            h50 - p50,
            h99 - p99
        );
    }
}

pub type Sender = hyper::client::conn::http1::SendRequest<Body>;

/// One kept-alive connection to `127.0.0.1:port`, with `TCP_NODELAY`.
pub async fn connect(port: u16) -> Sender {
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
pub async fn measure(sender: &mut Sender, path: &str, accept: &str, count: usize) -> Vec<f64> {
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

/// The `q` quantile of `samples` (sorted in place).
pub fn quantile(samples: &mut [f64], q: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() - 1) as f64 * q).round() as usize]
}
