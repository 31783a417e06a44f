//! Hub fan-out: 1,000 SSE clients on loopback receive one update.
//!
//! Run: `cargo bench --bench hub_fanout` (add `-- 2000` for another client count).
//!
//! The clients are plain TCP connections to `/__hotplate/events` in the server's own process
//! (so they share its two cores, as browsers on the same machine would). Each round publishes
//! one message; the latency of a client is from just before `publish` to the moment it has
//! read the whole event. Reports p50 / p99 / max over all clients of 20 rounds.
//!
//! Target (DESIGN.md): p99 under 20 ms for 1,000 clients.

use hotplate::testing::base::Message;
use hotplate::{Server, Settings};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, mpsc};

const ROUNDS: usize = 20;

fn main() {
    let clients: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(clients));
}

async fn run(clients: usize) {
    let site = tempfile::tempdir().unwrap();
    let server = Server::bind(Settings::for_root(site.path()).unwrap())
        .await
        .unwrap();
    let port = server.local_addr().port();
    let app = server.app();
    tokio::spawn(server.run());

    let origin = Instant::now();
    let (tx, mut rx) = mpsc::unbounded_channel::<Duration>();
    let connected = Arc::new(Barrier::new(clients + 1));
    for _ in 0..clients {
        let (tx, connected) = (tx.clone(), connected.clone());
        tokio::spawn(async move {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            stream
                .write_all(b"GET /__hotplate/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .await
                .unwrap();
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            let mut said_hello = false;
            loop {
                let n = stream.read(&mut chunk).await.unwrap();
                if n == 0 {
                    return;
                }
                buffer.extend_from_slice(&chunk[..n]);
                if !said_hello && find(&buffer, b"event: hello").is_some() {
                    said_hello = true;
                    buffer.clear();
                    connected.wait().await;
                }
                // A custom event carries the publish instant (µs since `origin`) as its data.
                while let Some(at) = find(&buffer, b"event: custom") {
                    let Some(end) = find(&buffer[at..], b"\n\n") else {
                        break;
                    };
                    let block = String::from_utf8_lossy(&buffer[at..at + end]).into_owned();
                    buffer.drain(..at + end + 2);
                    let sent: u64 = block
                        .lines()
                        .find_map(|l| l.strip_prefix("data: "))
                        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                        .and_then(|v| v["data"].as_u64())
                        .unwrap();
                    let _ = tx.send(origin.elapsed() - Duration::from_micros(sent));
                }
            }
        });
    }
    connected.wait().await;
    println!(
        "{clients} clients connected ({} on the hub)",
        app.live.hub.clients()
    );

    let mut latencies = Vec::with_capacity(clients * ROUNDS);
    for _ in 0..ROUNDS {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let sent = origin.elapsed().as_micros() as u64;
        app.live.hub.publish(Message::Custom {
            event: "bench".into(),
            data: serde_json::json!(sent),
        });
        for _ in 0..clients {
            latencies.push(rx.recv().await.unwrap().as_secs_f64() * 1000.0);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "  publish → received, ms over {ROUNDS} rounds:  p50 {:.2}   p99 {:.2}   max {:.2}",
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
