//! The backend behind `--proxy`: how requests reach it, and whether it is up.
//!
//! - [`Backend::send`] forwards a request over a pooled HTTP/1.1 client (hyper's), streaming
//!   both ways.
//! - [`State`] says whether it answers. A supervised backend ([`crate::backend::supervise`]) is
//!   `Starting` from its launch until it answers a request, and requests wait for it
//!   ([`Backend::settled`]). One hotplate does not start is `Up` until a connection to it fails;
//!   then it is probed ([`Backend::went_down`]) until it answers again.
//! - Whenever it comes back, the pipeline hears of it ([`Input::BackendUp`]) and every open
//!   page fetches itself again and morphs, the waiting pages included.

pub mod supervise;

use crate::inbox::{Inbox, Input};
use crate::settings::{Globs, Proxy};
use axum::body::Body;
use axum::http::{Request, Response, header};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, watch};

/// How often a backend that went away is asked again.
const PROBE_EVERY: Duration = Duration::from_millis(100);

/// How long one probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a backend that reloads itself is watched for a restart after its code changed.
const RELOAD_WINDOW: Duration = Duration::from_secs(3);

/// Whether the backend answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// It answers (or, not started by hotplate, nothing says otherwise yet).
    Up,
    /// Started by hotplate, and not answering yet: requests wait for it.
    Starting,
    /// It does not answer: `why`, with the last lines it printed when hotplate runs it.
    Down { why: String, output: Vec<String> },
}

pub struct Backend {
    /// `http://127.0.0.1:3000`
    pub origin: String,
    client: Client<HttpConnector, Body>,
    state: watch::Sender<State>,
    probing: AtomicBool,
    supervised: bool,
    /// The sources whose change restarts it (relative to the root).
    restart_on: Globs,
    restarts: mpsc::UnboundedSender<()>,
    /// Taken by the supervisor when it starts.
    restart_requests: Mutex<Option<mpsc::UnboundedReceiver<()>>>,
    /// Where the probes run (the pipeline, which asks for some, runs on the pool).
    runtime: Option<tokio::runtime::Handle>,
    /// The sources that restart a backend by what the root holds, watched for when hotplate
    /// does not run it (its own reloader restarts it).
    reloaded_by: Globs,
    /// Where "it answers again" goes: the pipeline then refreshes every open page.
    inbox: Arc<Inbox>,
}

impl Backend {
    pub fn new(proxy: &Proxy, root: &std::path::Path, inbox: Arc<Inbox>) -> Backend {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        let (restarts, restart_requests) = mpsc::unbounded_channel();
        let supervised = proxy.exec.is_some();
        Backend {
            origin: proxy.origin.clone(),
            client,
            state: watch::channel(if supervised {
                State::Starting
            } else {
                State::Up
            })
            .0,
            probing: AtomicBool::new(false),
            supervised,
            restart_on: proxy.restart_on.clone(),
            restarts,
            restart_requests: Mutex::new(Some(restart_requests)),
            runtime: tokio::runtime::Handle::try_current().ok(),
            reloaded_by: crate::settings::default_restart_globs(root),
            inbox,
        }
    }

    /// Sends `req` (its URI already the backend's) and returns the answer's head; the body
    /// streams.
    pub async fn send(
        &self,
        req: Request<Body>,
    ) -> Result<Response<Incoming>, hyper_util::client::legacy::Error> {
        self.client.request(req).await
    }

    pub fn state(&self) -> State {
        self.state.borrow().clone()
    }

    pub fn is_supervised(&self) -> bool {
        self.supervised
    }

    pub(crate) fn set(&self, state: State) {
        self.state.send_replace(state);
    }

    /// The state once the backend is no longer starting, or after `patience` if it still is.
    pub async fn settled(&self, patience: Duration) -> State {
        let mut states = self.state.subscribe();
        let settled = states.wait_for(|state| *state != State::Starting);
        match tokio::time::timeout(patience, settled).await {
            Ok(Ok(state)) => state.clone(),
            _ => self.state(),
        }
    }

    /// Whether a change to `path` (relative to the root) restarts the backend.
    pub fn restarts_for(&self, path: &str) -> bool {
        self.supervised && self.restart_on.is_match(path)
    }

    /// A source changed (`path`, relative to the root) of a backend hotplate does not run: if
    /// it is code its own reloader restarts on, watch for the restart for a moment. Connections
    /// refused there mean it went down: it is probed until it answers, and every page refreshes
    /// then (the refresh sent for the change may have found the old process).
    pub fn may_restart(self: &Arc<Self>, path: &str) {
        if self.supervised || !self.reloaded_by.is_match(path) {
            return;
        }
        let Some(runtime) = &self.runtime else { return };
        if self.probing.load(Ordering::SeqCst) {
            return;
        }
        let backend = self.clone();
        runtime.spawn(async move {
            let authority = backend.origin.trim_start_matches("http://").to_string();
            let deadline = tokio::time::Instant::now() + RELOAD_WINDOW;
            while tokio::time::Instant::now() < deadline {
                // A connection, not a request: nothing in the backend's log.
                let refused = tokio::time::timeout(
                    PROBE_TIMEOUT,
                    tokio::net::TcpStream::connect(authority.as_str()),
                )
                .await
                .is_ok_and(|connected| connected.is_err());
                if refused {
                    backend.went_down("it is restarting".into());
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }

    /// Whether the backend is up within `patience` (at once, when it is).
    pub async fn up_within(&self, patience: Duration) -> bool {
        let mut states = self.state.subscribe();
        let up = states.wait_for(|state| *state == State::Up);
        matches!(tokio::time::timeout(patience, up).await, Ok(Ok(_)))
    }

    /// Asks for a restart (the supervisor does it; without one, nothing happens).
    pub fn restart(&self) {
        let _ = self.restarts.send(());
    }

    /// The restart requests, for the supervisor (once).
    pub(crate) async fn take_restart_requests(&self) -> Option<mpsc::UnboundedReceiver<()>> {
        self.restart_requests.lock().await.take()
    }

    /// Whether the backend answers an HTTP request (any status will do).
    pub async fn answers(&self) -> bool {
        let Ok(req) = Request::get(format!("{}/", self.origin))
            .header(header::USER_AGENT, "hotplate (is the backend up?)")
            .header(header::ACCEPT, "*/*")
            .body(Body::empty())
        else {
            return false;
        };
        matches!(
            tokio::time::timeout(PROBE_TIMEOUT, self.send(req)).await,
            Ok(Ok(_))
        )
    }

    /// A request found a backend hotplate does not run unreachable (`why`): it is `Down`, and
    /// probed until it answers again, when every open page refreshes. A supervised backend's
    /// state is the supervisor's to say.
    pub fn went_down(self: &Arc<Self>, why: String) {
        if self.supervised {
            return;
        }
        self.set(State::Down {
            why,
            output: Vec::new(),
        });
        if self.probing.swap(true, Ordering::SeqCst) {
            return;
        }
        let backend = self.clone();
        tokio::spawn(async move {
            while !backend.answers().await {
                tokio::time::sleep(PROBE_EVERY).await;
            }
            backend.probing.store(false, Ordering::SeqCst);
            tracing::info!("the backend at {} answers again", backend.origin);
            backend.came_up();
        });
    }

    /// The backend answers: requests go through, and the pipeline refreshes the open pages.
    pub(crate) fn came_up(&self) {
        self.set(State::Up);
        self.inbox.push(Input::BackendUp);
    }
}
