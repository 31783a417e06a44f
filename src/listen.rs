//! The accept loop: how TCP connections become HTTP/1.1 connections to the router.
//!
//! 1. **Accept.** Running out of file descriptors (`EMFILE`, `ENFILE`) or socket buffers is
//!    logged once per episode, with what to do about it, and the loop waits a moment before it
//!    accepts again: closing connections give descriptors back, and serving resumes by itself.
//! 2. **`TCP_NODELAY`.** A response's head and body go out as separate writes. With Nagle's
//!    algorithm on, the second write waits for the client's delayed ACK, about 40 ms, on
//!    every request of a kept-alive connection after the first.
//! 3. **Serve** with hyper. A request's head must arrive within
//!    [`Settings::header_timeout`](crate::settings::Settings::header_timeout): a client that
//!    trickles its headers (slowloris) is dropped, and so is a kept-alive connection that sends
//!    nothing for that long. A response already streaming (the hub's event streams) is not
//!    bound by it.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::io;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long the loop waits after an accept failed for lack of resources.
const BACKOFF: Duration = Duration::from_millis(100);

/// The router requests go to. The server puts another in its place when it restarts with new
/// settings; connections already open (kept alive) go to the new one from their next request.
pub type Routes = Arc<RwLock<Router>>;

/// Accepts connections on `listener` and serves each request with what `routes` holds then,
/// forever.
pub async fn serve(listener: TcpListener, routes: Routes, header_timeout: Duration) {
    let mut starved = false;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => {
                if std::mem::take(&mut starved) {
                    tracing::info!("accepting connections again");
                }
                accepted
            }
            Err(err) => {
                match on_accept_error(&err) {
                    AcceptError::Transient => {}
                    AcceptError::Starved => {
                        if !std::mem::replace(&mut starved, true) {
                            tracing::error!(
                                "cannot accept connections: {err}. hotplate keeps trying; \
                                 close some connections or raise the limit (ulimit -n)"
                            );
                        }
                        tokio::time::sleep(BACKOFF).await;
                    }
                }
                continue;
            }
        };
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY: {err}");
        }
        // Who is asking (a proxied request says so in `X-Forwarded-For`).
        let routes = routes.clone();
        let service = TowerToHyperService::new(tower::service_fn(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let router = routes
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone();
                router.oneshot(req)
            },
        ));
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!("connection closed: {err}");
            }
        });
    }
}

/// What a failed `accept` means for the loop.
#[derive(Debug, PartialEq, Eq)]
pub enum AcceptError {
    /// One connection went wrong (reset before it was accepted): go on at once.
    Transient,
    /// The process or the system is out of something (descriptors, memory): wait, then go on.
    Starved,
}

pub fn on_accept_error(err: &io::Error) -> AcceptError {
    match err.kind() {
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::Interrupted => AcceptError::Transient,
        _ => AcceptError::Starved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_out_of_descriptors_waits_and_a_reset_connection_does_not() {
        // EMFILE: the process has no file descriptor left.
        assert_eq!(
            on_accept_error(&io::Error::from_raw_os_error(24)),
            AcceptError::Starved
        );
        assert_eq!(
            on_accept_error(&io::Error::from(io::ErrorKind::ConnectionAborted)),
            AcceptError::Transient
        );
    }
}
