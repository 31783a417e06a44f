//! hotplate's own URLs under `/__hotplate/` (dev mode only):
//! - `events`: the hub's event stream;
//! - `changes`: the raw change feed, one message per changed path;
//! - `send` (POST): a message from a page (`import.meta.hot.send`), for the server's handler;
//! - `received`: what pages send, as a stream, for other processes to follow;
//! - `broadcast` (POST, JSON): a `custom` event for every page, from another process
//!   (`hotplate send`);
//! - the client runtime, whose files live in `client/` and are embedded in the binary.
//!
//! Documents load the runtime from `/__hotplate/<boot>/client.js`. The files cannot change
//! while the process runs, so under the current boot they are cached as immutable: a page
//! reload fetches none of them again. Any other folder (or none) serves the same files with
//! `no-cache`.

use super::{cache, guard};
use crate::app::App;
use crate::inbox::Input;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use tokio_stream::wrappers::BroadcastStream;

pub const PREFIX: &str = "/__hotplate/";

/// The largest message a page may send.
const SEND_LIMIT: usize = 1 << 20;

/// What is injected first into every HTML document of the server started as `boot`: the
/// hub's newest message id when the document was read (`since`: the runtime resumes from it,
/// so an update sent while the page loaded still reaches it), the inline `client/early.js`
/// (without its comments), which must run before the page's own scripts, then the runtime's
/// entry module.
pub fn tag(boot: &str, since: u64) -> String {
    format!(
        r#"<meta name="hotplate-since" content="{boot}-{since}"><script>{}</script><script type="module" src="{PREFIX}{boot}/client.js"></script>"#,
        *EARLY
    )
}

/// The value of `name` in a query string, percent-decoded.
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// `client/early.js` as it is inlined: comment lines dropped, one line.
static EARLY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    include_str!("../../client/early.js")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ")
});

/// Where modules import `createHotContext` from.
pub fn hot_url(boot: &str) -> String {
    format!("{PREFIX}{boot}/hot.js")
}

/// The client runtime's files, by URL name.
pub const ASSETS: &[(&str, &str)] = &[
    ("client.js", include_str!("../../client/client.js")),
    ("hot.js", include_str!("../../client/hot.js")),
    ("overlay.js", include_str!("../../client/overlay.js")),
    ("css.js", include_str!("../../client/css.js")),
    ("assets.js", include_str!("../../client/assets.js")),
    ("morph.js", include_str!("../../client/morph.js")),
    ("worker.js", include_str!("../../client/worker.js")),
    ("protocol.js", include_str!("../../client/protocol.js")),
];

/// A message from a page.
#[derive(Deserialize)]
struct Sent {
    event: String,
    #[serde(default)]
    data: serde_json::Value,
}

/// Answers `/__hotplate/<name>`.
pub async fn respond(app: &Arc<App>, name: &str, req: Request) -> Response {
    if matches!(
        name,
        "events" | "changes" | "send" | "broadcast" | "received"
    ) && let Err(rejection) = guard::check_origin(&app.settings, req.headers())
    {
        return rejection.into_response();
    }
    match name {
        "events" => {
            // A reconnect says where it left off in its header; a page's first connection in
            // `?last=`, the hub's newest id when it was served (the `hotplate-since` meta tag),
            // so that nothing sent while it loaded is lost.
            let header = req
                .headers()
                .get("last-event-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let last_event_id = header.or_else(|| query_value(req.uri().query(), "last"));
            app.hub.connect(last_event_id.as_deref()).into_response()
        }
        "changes" => app.hub.changes().into_response(),
        "send" => receive(app, req).await,
        "broadcast" => broadcast(app, req).await,
        "received" => received(app).into_response(),
        _ => asset(app, name),
    }
}

/// A POSTed `{"event", "data"}` message, or the response that says what is wrong with it.
async fn read_message(req: Request) -> Result<Sent, Response> {
    if req.method() != Method::POST {
        return Err((
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "send messages with POST and a JSON body {\"event\", \"data\"}\n",
        )
            .into_response());
    }
    let body = axum::body::to_bytes(req.into_body(), SEND_LIMIT)
        .await
        .map_err(|_| {
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                "messages are limited to 1 MiB\n",
            )
                .into_response()
        })?;
    serde_json::from_slice(&body).map_err(|err| {
        (
            StatusCode::BAD_REQUEST,
            format!("expected a JSON body {{\"event\", \"data\"}}: {err}\n"),
        )
            .into_response()
    })
}

/// A message for every page from another process (`hotplate send EVENT JSON`): a POST of
/// `{"event", "data"}` as `application/json` (which a page on another site cannot send without
/// a CORS preflight this server never grants), from no origin or this server's own. Pages get
/// it as a `custom` event: `import.meta.hot.on(event, cb)`.
async fn broadcast(app: &App, req: Request) -> Response {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send {\"event\", \"data\"} as application/json\n",
        )
            .into_response();
    }
    match read_message(req).await {
        Ok(sent) => {
            app.send_custom(&sent.event, sent.data);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(rejection) => rejection,
    }
}

/// What pages send (`import.meta.hot.send(event, data)`), as server-sent events named after
/// the event with its JSON data, for other processes: a test runner, a linter, a backend.
fn received(app: &App) -> Sse<impl Stream<Item = Result<Event, Infallible>> + Send + 'static> {
    let stream = BroadcastStream::new(app.follow_received()).filter_map(|item| async move {
        let sent = item.ok()?;
        let (event, data) = sent.as_ref();
        Some(Ok(Event::default().event(event).data(data.to_string())))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().text("keep-alive"))
}

/// A page's `import.meta.hot.send(event, data)`. `vite:invalidate` (sent by
/// `import.meta.hot.invalidate()`) carries the update on from the module's importers; any
/// other event goes to the app's handler.
async fn receive(app: &Arc<App>, req: Request) -> Response {
    let sent = match read_message(req).await {
        Ok(sent) => sent,
        Err(rejection) => return rejection,
    };
    if sent.event == "vite:invalidate" {
        let text = |key: &str| {
            sent.data
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        // The pipeline plans it: it is the graph's only writer.
        app.inbox.push(Input::Invalidate {
            url: text("path").unwrap_or_default(),
            message: text("message"),
            first: text("firstInvalidatedBy"),
        });
    } else {
        app.receive_custom(&sent.event, &sent.data);
    }
    StatusCode::NO_CONTENT.into_response()
}

fn asset(app: &App, name: &str) -> Response {
    let (folder, file) = name.rsplit_once('/').unwrap_or(("", name));
    let control = if folder == app.settings.boot {
        cache::IMMUTABLE
    } else {
        cache::REVALIDATE
    };
    match ASSETS.iter().find(|(asset, _)| *asset == file) {
        Some((_, source)) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, control),
            ],
            *source,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            format!("hotplate has no runtime file {name:?}\n"),
        )
            .into_response(),
    }
}
