//! What the overhead benches share: a bounded load generator on loopback (one kept-alive
//! HTTP/1.1 connection, one request at a time, so each sample is one request's latency and
//! nothing queues), the page they serve, and quantiles.

use axum::body::Body;
use axum::http::{Request, header};
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
