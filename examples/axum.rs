//! A small axum app with hotplate as a layer: minijinja templates (a layout and a partial)
//! rendered by handlers, a form that posts, and a stylesheet and ES modules served by
//! `tower_http::services::ServeDir`.
//!
//! ```text
//! cargo run --release --example axum -- --port 4000
//! ```
//!
//! Then edit `examples/axum/templates/*.html` (the page morphs and keeps what you typed),
//! `static/style.css` (swapped in place) or `static/counter.js` (hot-replaced, the count kept).

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hotplate::{HotLayer, Templates, layer};
use serde::Deserialize;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tower_http::services::ServeDir;

struct Notes {
    templates: Templates,
    notes: Mutex<Vec<String>>,
}

type Shared = Arc<Notes>;

/// Hot updates for the app's files under `site`: the stylesheet and modules it serves at
/// `/static`, and the templates it renders.
pub fn hot(site: &Path) -> Result<HotLayer, hotplate::FatalError> {
    layer()
        .root(site)
        .assets("/static", "static")
        .templates("templates")
        // An app would leave this out: the layer is then on in debug builds only. The example
        // keeps it on in release builds too, so `cargo run --release` shows hot updates at
        // full speed. HOTPLATE=off turns it off.
        .enabled(std::env::var("HOTPLATE").as_deref() != Ok("off"))
        .build()
}

/// The app, with its files under `site` (`templates/`, `static/`), and `hot` around it.
pub fn app(site: &Path, hot: HotLayer) -> Router {
    let shared = Arc::new(Notes {
        templates: Templates::new(site.join("templates")),
        notes: Mutex::new(vec!["Try editing a template".into()]),
    });
    Router::new()
        .route("/", get(index))
        .route("/about", get(about))
        .route("/notes", axum::routing::post(add_note))
        .route("/api/health", get(health))
        .route("/teapot", get(teapot))
        .nest_service("/static", ServeDir::new(site.join("static")))
        .fallback(not_found)
        .with_state(shared)
        .layer(hot)
}

async fn index(State(app): State<Shared>) -> Response {
    let notes = app.notes.lock().unwrap().clone();
    app.templates
        .render("index.html", serde_json::json!({ "notes": notes }))
        .into_response()
}

async fn about(State(app): State<Shared>) -> Response {
    app.templates
        .render("about.html", serde_json::json!({}))
        .into_response()
}

#[derive(Deserialize)]
struct NewNote {
    note: String,
}

async fn add_note(State(app): State<Shared>, Form(new): Form<NewNote>) -> Redirect {
    let note = new.note.trim();
    if !note.is_empty() {
        app.notes.lock().unwrap().push(note.to_string());
    }
    Redirect::to("/")
}

async fn health() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::HeaderName::from_static("x-app"), "notes"),
        ],
        r#"{"ok":true}"#,
    )
}

async fn teapot() -> impl IntoResponse {
    (
        StatusCode::IM_A_TEAPOT,
        [(header::SET_COOKIE, "brew=1; Path=/")],
        "short and stout\n",
    )
}

async fn not_found() -> impl IntoResponse {
    (StatusCode::NOT_FOUND, "no such note\n")
}

// Tests include this file as a module, and call `app` themselves.
#[allow(dead_code)]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "hotplate=info".into()),
        )
        .init();
    match serve().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Serves the example on `127.0.0.1:PORT` (`--port PORT`, 4000 by default).
#[allow(dead_code)]
async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut port = 4000;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or("--port takes a number, such as --port 4000")?;
            }
            other => return Err(format!("unknown argument {other:?}; try --port 4000").into()),
        }
    }
    let site = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/axum");
    let app = app(&site, hot(&site)?);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|err| format!("cannot listen on 127.0.0.1:{port}: {err}"))?;
    println!("\n  axum + hotplate\n\n  ➜ Local: http://127.0.0.1:{port}/\n");
    axum::serve(listener, app).await?;
    Ok(())
}
