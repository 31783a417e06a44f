//! Talking to a running server from another process: `hotplate send EVENT [JSON]` posts a
//! custom event to `/__hotplate/broadcast`, and every page's `import.meta.hot.on(EVENT, cb)`
//! listeners get it. (The other way, `/__hotplate/received` streams what pages send.)

use hyper::Request;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;

/// Why an event could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    BadName(&'static str),
    #[error("the data is not JSON: {0}")]
    BadJson(#[from] serde_json::Error),
    #[error("no hotplate server answers at {addr} ({source}); is it running, on that --port?")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("the server refused the event ({status}): {body}")]
    Refused {
        status: hyper::StatusCode,
        body: String,
    },
    #[error("the request failed: {0}")]
    Http(#[from] hyper::Error),
}

/// Sends `event` with `data` (JSON text; `null` when `None`) to every page of the server at
/// `host:port`.
pub async fn send_event(
    host: &str,
    port: u16,
    event: &str,
    data: Option<&str>,
) -> Result<(), SendError> {
    if let Some(problem) = crate::base::event_name_problem(event) {
        return Err(SendError::BadName(problem));
    }
    let data: serde_json::Value = serde_json::from_str(data.unwrap_or("null"))?;
    let body = serde_json::json!({ "event": event, "data": data }).to_string();
    let addr = format!("{host}:{port}");
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|source| SendError::Connect {
            addr: addr.clone(),
            source,
        })?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = Request::post(crate::protocol::BROADCAST_URL)
        .header(HOST, format!("localhost:{port}"))
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .expect("a valid request");
    let response = sender.send_request(request).await?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .map(|body| body.to_bytes())
        .unwrap_or_default();
    Err(SendError::Refused {
        status,
        body: String::from_utf8_lossy(&bytes).trim().to_string(),
    })
}
