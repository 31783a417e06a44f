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

mod deps;
mod npm;

use super::{cache, guard};
use crate::inbox::Input;
use crate::modules::helpers;
use crate::protocol;
use crate::serve::Scripts;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use tokio_stream::wrappers::BroadcastStream;

pub use crate::protocol::PREFIX;

/// The largest message a page may send.
const SEND_LIMIT: usize = 1 << 20;

/// The client runtime's files, by URL name.
pub const ASSETS: &[(&str, &str)] = &[
    ("client.js", include_str!("../../../client/client.js")),
    ("hot.js", include_str!("../../../client/hot.js")),
    ("overlay.js", include_str!("../../../client/overlay.js")),
    ("css.js", include_str!("../../../client/css.js")),
    ("assets.js", include_str!("../../../client/assets.js")),
    ("morph.js", include_str!("../../../client/morph.js")),
    ("worker.js", include_str!("../../../client/worker.js")),
    ("protocol.js", include_str!("../../../client/protocol.js")),
    ("marks.js", include_str!("../../../client/marks.js")),
    ("refresh.js", include_str!("../../../client/refresh.js")),
    (
        "react-refresh.js",
        include_str!("../../../client/react-refresh.js"),
    ),
    (
        "preact-refresh.js",
        include_str!("../../../client/preact-refresh.js"),
    ),
];

/// A message from a page.
#[derive(Deserialize)]
struct Sent {
    event: String,
    #[serde(default)]
    data: serde_json::Value,
}

/// `/__hotplate/*` as a router of its own, to nest at [`PREFIX`] in front of whatever serves
/// the rest: the site, a proxied backend, or an app.
pub fn router(scripts: Arc<Scripts>) -> Router {
    // Streams and messages are for this server's own pages and for other processes, never for
    // another site's.
    let guarded = Router::new()
        .route(below(protocol::EVENTS_URL), get(events))
        .route(below(protocol::CHANGES_URL), get(changes))
        .route(below(protocol::RECEIVED_URL), get(received))
        .route(below(protocol::SEND_URL), post(receive))
        .route(below(protocol::BROADCAST_URL), post(broadcast))
        .route_layer(middleware::from_fn_with_state(scripts.clone(), same_origin));
    Router::new()
        .merge(guarded)
        .route(
            &format!("{}{{*path}}", below(protocol::NPM_PREFIX)),
            get(npm::serve),
        )
        .route(
            &format!("{}{{file}}", below(protocol::DEPS_PREFIX)),
            get(deps::serve),
        )
        .route("/{file}", get(asset))
        .route("/{folder}/{file}", get(asset))
        .route("/{folder}/helpers/{file}", get(helper))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "hotplate has no such URL under /__hotplate/\n",
            )
        })
        .layer(DefaultBodyLimit::max(SEND_LIMIT))
        .with_state(scripts)
}

/// `url`, one of hotplate's own, as the router nested at [`PREFIX`] sees it: `/events`.
fn below(url: &str) -> &str {
    &url[PREFIX.len() - 1..]
}

async fn same_origin(State(scripts): State<Arc<Scripts>>, req: Request, next: Next) -> Response {
    match guard::check_origin(&scripts.settings, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// Where an event stream's first connection resumes: the hub's newest id when its page was
/// served (the `hotplate-since` meta tag), so that nothing sent while it loaded is lost.
#[derive(Deserialize)]
struct Resume {
    last: Option<String>,
}

/// The hub's event stream. A reconnect says where it left off in its `Last-Event-ID` header,
/// which wins over `?last=`.
async fn events(
    State(scripts): State<Arc<Scripts>>,
    Query(resume): Query<Resume>,
    headers: HeaderMap,
) -> Response {
    let header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let last_event_id = header.or(resume.last);
    scripts
        .live
        .hub
        .connect(last_event_id.as_deref())
        .into_response()
}

async fn changes(State(scripts): State<Arc<Scripts>>) -> Response {
    scripts.live.hub.changes().into_response()
}

/// A POSTed `{"event", "data"}` message, or the answer that says what is wrong with it.
fn read_message(body: &[u8]) -> Result<Sent, (StatusCode, String)> {
    let sent: Sent = serde_json::from_slice(body).map_err(|err| {
        (
            StatusCode::BAD_REQUEST,
            format!("expected a JSON body {{\"event\", \"data\"}}: {err}\n"),
        )
    })?;
    match crate::base::event_name_problem(&sent.event) {
        Some(problem) => Err((
            StatusCode::BAD_REQUEST,
            format!("{problem}: {:?}\n", sent.event),
        )),
        None => Ok(sent),
    }
}

/// A message for every page from another process (`hotplate send EVENT JSON`): a POST of
/// `{"event", "data"}` as `application/json` (which a page on another site cannot send without
/// a CORS preflight this server never grants), from no origin or this server's own. Pages get
/// it as a `custom` event: `import.meta.hot.on(event, cb)`.
async fn broadcast(
    State(scripts): State<Arc<Scripts>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json = headers
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
    match read_message(&body) {
        Ok(sent) => {
            scripts.live.send_custom(&sent.event, sent.data);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(rejection) => rejection.into_response(),
    }
}

/// What pages send (`import.meta.hot.send(event, data)`), as server-sent events named after
/// the event with its JSON data, for other processes: a test runner, a linter, a backend.
async fn received(
    State(scripts): State<Arc<Scripts>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + Send + 'static> {
    let stream = BroadcastStream::new(scripts.live.messages.follow_received()).filter_map(
        |item| async move {
            let sent = item.ok()?;
            let (event, data) = sent.as_ref();
            // A name an event stream cannot carry (sent through the Rust API) is left out rather
            // than ending the follower's stream.
            if let Some(problem) = crate::base::event_name_problem(event) {
                tracing::warn!("a page's message was not passed on: {problem}: {event:?}");
                return None;
            }
            Some(Ok(Event::default().event(event).data(data.to_string())))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().text("keep-alive"))
}

/// A page's `import.meta.hot.send(event, data)`. `vite:invalidate` (sent by
/// `import.meta.hot.invalidate()`) carries the update on from the module's importers; any
/// other event goes to the app's handler.
async fn receive(State(scripts): State<Arc<Scripts>>, body: Bytes) -> Response {
    let sent = match read_message(&body) {
        Ok(sent) => sent,
        Err(rejection) => return rejection.into_response(),
    };
    if sent.event == "vite:invalidate" {
        let text = |key: &str| {
            sent.data
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        // The pipeline plans it: it is the graph's only writer.
        scripts.live.inbox.push(Input::Invalidate {
            url: text("path").unwrap_or_default(),
            message: text("message"),
            first: text("firstInvalidatedBy"),
        });
    } else {
        scripts
            .live
            .messages
            .receive_custom(&sent.event, &sent.data);
    }
    StatusCode::NO_CONTENT.into_response()
}

/// A file of the runtime, as `/__hotplate/<file>` or `/__hotplate/<folder>/<file>`.
/// One of oxc's helpers, answered by hotplate (see [`crate::modules::helpers`]).
async fn helper(Path((_, file)): Path<(String, String)>) -> Response {
    match helpers::source(&file) {
        Some(source) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, cache::IMMUTABLE),
            ],
            source,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            format!("hotplate has no helper {file:?}\n"),
        )
            .into_response(),
    }
}

async fn asset(State(scripts): State<Arc<Scripts>>, Path(segments): Path<Vec<String>>) -> Response {
    let (folder, file) = match segments.as_slice() {
        [file] => ("", file.as_str()),
        [folder, file] => (folder.as_str(), file.as_str()),
        _ => ("", ""),
    };
    let name = segments.join("/");
    let control = if folder == scripts.settings.boot {
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
