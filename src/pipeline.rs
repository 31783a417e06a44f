//! The update pipeline: what happens between a change and the browsers.
//!
//! [`react`] carries one batch of changes through, in order:
//! 1. **check** the changed scripts the browsers have loaded: one that does not parse shows the
//!    overlay and is held back (its update would only fail in the browser); one that parses
//!    again clears its error;
//! 2. **plan** the smallest correct updates against the graph ([`plan::plan`], which only
//!    reads it), then apply the plan's graph edits ([`plan::UpdatePlan::apply`]): the routes it
//!    forgets, the files it removes and the `?t=` stamps;
//! 3. **publish** to the hub: `change`, `prune`, `update` (a small stylesheet's with its new
//!    text: [`payload`]; the scripts it stamped rewritten first and held for the `import()`s
//!    that follow: [`crate::prepared`]), `asset`;
//! 4. **re-render** the routes whose last render read a changed file, keeping each render for
//!    the hot refresh that follows (`render::RenderCache`). The routes that rendered
//!    get one `html` message, with each one's patch ([`payload`]): the pages showing them
//!    apply it, or fetch, and morph; a route that failed shows the
//!    overlay, and its pages keep their last good DOM until a fix renders;
//! 5. **reload** what nothing smaller can update.
//!
//! Before each batch, and whenever the HTTP side sends something, [`drain`] takes what is in
//! the `inbox`: records of what was served go into the graph (the pipeline is its
//! only writer), and a module that asked to be replaced by its importers
//! (`import.meta.hot.invalidate()`) gets steps 2 and 3. [`run`] is the task that does all this.

use crate::app::App;
use crate::base::{ChangeBatch, ChangeKind, Message, ModuleUpdate, PagePatch, Timing};
use crate::graph::{Kind, Record};
use crate::inbox::Input;
use crate::payload;
use crate::plan::{self, Edit, Reload, UpdatePlan};
use crate::pool;
use crate::rewrite::js::AnalysisError;
use crate::serve;
use crate::site::render;
use crate::site::route;
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The most routes rendered ahead of their refresh in one batch. Past it (a layout of a large
/// site), routes are named in the `html` message unchecked and render when fetched.
const RENDER_AHEAD: usize = 64;

/// Carries one batch through check, plan, publish, re-render and reload.
pub fn react(app: &Arc<App>, batch: &ChangeBatch) {
    let started = std::time::Instant::now();
    let waited = batch.noticed.and_then(|noticed| noticed.elapsed().ok());
    // What was served before this batch is in the graph it is planned against.
    drain(app);
    // Any change may move a route or a file: requests resolve afresh, and the modules the last
    // update made ready may name stale files.
    app.live.prepared.clear();
    app.site.memo.forget();
    app.modules.resolver.forget();
    if batch
        .changes
        .iter()
        .any(|c| crate::modules::npm::LOCKFILES.contains(&c.path.as_str()))
    {
        app.modules.refresh_npm_key();
    }
    let changed = batch_paths(batch);
    if !changed.is_empty() {
        app.live.hub.publish(Message::Change {
            paths: changed.clone(),
        });
    }
    let batch = check_scripts(app, batch);
    let checked = started.elapsed();
    // Planned under the read lock (requests go on reading the graph meanwhile), applied under
    // the write lock: the pipeline is the graph's only writer, so nothing changes it between.
    let plan = plan::plan(&batch, &app.live.graph(), app.live.next_timestamp());
    plan.apply(&mut app.live.graph_mut());
    let planned = started.elapsed();
    let reload = publish(app, &plan, batch.noticed);
    let published = started.elapsed();
    if plan.pages_changed {
        app.site.pages.clear();
    }
    // The routes of removed pages reload into a 404: their render problems go with them.
    let gone: Vec<String> = plan
        .removed_routes
        .iter()
        .map(|r| problem_source(r))
        .collect();
    app.live.problems.settle(&app.live.hub, &gone, Vec::new());
    if app.settings.mounts.is_empty() {
        rerender(app, &plan.rerender, plan.timestamp, batch.noticed);
    } else if let Some(backend) = app
        .backend
        .as_ref()
        .filter(|_| restarts_backend(app, &batch))
    {
        // The pages refresh once it answers again (`Input::BackendUp`).
        backend.restart();
    } else {
        refetch(app, &batch, &plan);
        if let Some(backend) = &app.backend {
            swap_backend_stylesheets(app, &batch, plan.timestamp);
            for change in &batch.changes {
                if is_server_side(app, change.path.as_str()) {
                    backend.may_restart(change.path.as_str());
                }
            }
        }
    }
    let mut reload = reload;
    reload.merge(compile_settings_changed(app, &batch));
    reload.merge(env_changed(app, &batch));
    publish_reload(app, reload);
    let done = started.elapsed();
    tracing::debug!(
        "timings: watcher to pipeline {waited:?}; check {checked:?}, plan {:?}, publish (stylesheet \
         text, modules made ready, hub) {:?}, render and diff {:?}",
        planned - checked,
        published - planned,
        done - published
    );
    tracing::info!("{} in {done:?}", changed.join(", "));
}

/// A `tsconfig.json` changed: what it said about compiling (JSX, decorators) may differ, so
/// every page reloads and compiles afresh; its problem, if it had one, is cleared (a file that
/// still cannot be read reports it again when a page asks for a module under it).
fn compile_settings_changed(app: &App, batch: &ChangeBatch) -> Reload {
    let changed: Vec<&str> = batch
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .filter(|path| {
            crate::modules::resolve::is_tsconfig(path.rsplit('/').next().unwrap_or(path))
        })
        .collect();
    let Some(first) = changed.first() else {
        return Reload::Nothing;
    };
    let fixed: Vec<String> = changed
        .iter()
        .map(|path| crate::modules::resolve::TsconfigError::problem_source(path))
        .collect();
    app.live.problems.settle(&app.live.hub, &fixed, Vec::new());
    Reload::Everything(format!("{first} changed how TypeScript and JSX compile"))
}

/// A `.env` file changed: `import.meta.env` is read again, and every page reloads with it.
fn env_changed(app: &App, batch: &ChangeBatch) -> Reload {
    let Some(file) = batch
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .find(|path| crate::modules::env::is_env_file(path))
    else {
        return Reload::Nothing;
    };
    app.modules.reload_env();
    Reload::Everything(format!("{file} changed what import.meta.env holds"))
}

/// Carries batches (when there is a watcher) and what the HTTP side sends through the pipeline,
/// until `batches` closes. Batches are worked on one at a time, on a lane of the pipeline's
/// own ([`pool::Lane`]): however busy requests keep the pool, a save is never queued behind
/// them.
pub async fn run(app: Arc<App>, mut batches: Option<mpsc::Receiver<ChangeBatch>>) {
    let lane = match pool::Lane::new("hotplate-pipeline") {
        Ok(lane) => lane,
        Err(err) => {
            tracing::error!("cannot start the pipeline's thread, so no page updates: {err}");
            return;
        }
    };
    loop {
        let next = async {
            match batches.as_mut() {
                Some(batches) => batches.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            () = app.live.inbox.arrived() => {
                let app = app.clone();
                lane.run(move || drain(&app)).await;
            }
            batch = next => {
                let Some(batch) = batch else { return };
                if batch.changes.iter().any(|c| c.path.as_str() == crate::config::FILE) {
                    app.live.config_changed.notify_one();
                }
                let app = app.clone();
                lane.run(move || react(&app, &batch)).await;
            }
        }
    }
}

/// Applies what the HTTP side sent: records go into the graph (modules a served module no
/// longer imports are pruned, and the browsers told), invalidations are planned and published,
/// and the pages rendered are parsed for the next save's diff ([`payload::patch::remember`]).
pub fn drain(app: &App) {
    let mut rendered = Vec::new();
    app.live.inbox.drain(|inputs| {
        for input in inputs {
            match input {
                Input::Record(record) => {
                    if let Record::Render { route, .. } = &record {
                        rendered.push(route.clone());
                    }
                    let pruned = app.live.graph_mut().apply(record);
                    if !pruned.is_empty() {
                        app.live.hub.publish(Message::Prune { paths: pruned });
                    }
                }
                Input::Invalidate {
                    url,
                    message,
                    first,
                } => invalidate(app, &url, message.as_deref(), first.as_deref()),
                Input::BackendUp => refresh_all(app, app.live.next_timestamp()),
            }
        }
    });
    // A page just served is what the next save's diff starts from: parsed now, between
    // saves, a save parses only its new render.
    for route in rendered {
        if let Some((_, html)) = app.site.pages.last(&route) {
            payload::patch::remember(&html);
        }
    }
}

/// A module asked to be replaced by its importers (`import.meta.hot.invalidate()`).
fn invalidate(app: &App, url: &str, message: Option<&str>, first: Option<&str>) {
    let Ok(route::Target::File { site, .. }) = route::locate(&app.settings, url) else {
        return;
    };
    match message {
        Some(message) => tracing::info!("{url} invalidated itself: {message}"),
        None => tracing::info!("{url} invalidated itself"),
    }
    let plan = plan::invalidate(&app.live.graph(), &site, first, app.live.next_timestamp());
    plan.apply(&mut app.live.graph_mut());
    let reload = publish(app, &plan, None);
    publish_reload(app, reload);
}

/// Publishes the plan's prunes, updates and assets; returns what is left to reload.
fn publish(app: &App, plan: &UpdatePlan, noticed: Option<std::time::SystemTime>) -> Reload {
    let hub = &app.live.hub;
    if !plan.pruned.is_empty() {
        hub.publish(Message::Prune {
            paths: plan.pruned.clone(),
        });
    }
    if !plan.updates.is_empty() {
        let mut updates = with_stylesheet_text(app, &plan.updates);
        prepare_modules(app, plan, &mut updates);
        hub.publish(Message::Update {
            updates,
            timing: Timing::now(noticed),
        });
    }
    if !plan.assets.is_empty() {
        hub.publish(Message::Asset {
            paths: plan.assets.clone(),
            timestamp: plan.timestamp,
        });
    }
    plan.reload.clone()
}

/// Rewrites each script the plan stamped as the module layer answers `url?t=<timestamp>`, and
/// holds them for the `import()`s the update makes ([`crate::prepared`]); the last update's
/// go. An update without a module re-import holds nothing. Each module an update re-imports
/// rides in it too, when it may ([`serve::module::pushed_script`]) and the message's code stays
/// within [`crate::prepared::MOST_PUSHED`]: the page imports it with no request.
fn prepare_modules(app: &App, plan: &UpdatePlan, updates: &mut [ModuleUpdate]) {
    if !plan.updates.iter().any(|u| u.kind == "js") {
        return;
    }
    let started = std::time::Instant::now();
    let query = format!("{}={}", crate::protocol::TIMESTAMP_PARAM, plan.timestamp);
    let urls: Vec<String> = {
        let graph = app.live.graph();
        plan.edits
            .iter()
            .filter_map(|edit| match edit {
                Edit::Stamp(file) | Edit::Appeared(file) => Some(file),
                _ => None,
            })
            .filter(|file| file.kind() == crate::base::Kind::Script)
            .filter_map(|file| graph.node(file).map(|node| node.url.clone()))
            .filter(|url| !url.is_empty())
            .take(crate::prepared::MOST)
            .collect()
    };
    let scripts = serve::Scripts::of(app);
    let ready: Vec<(String, u64, String)> = urls
        .into_iter()
        .filter_map(|url| {
            let (site, source) = script_source(app, &url)?;
            let body = serve::module::rewrite_script(&scripts, &url, Some(&query), &site, source);
            Some((url, plan.timestamp, body))
        })
        .collect();
    let mut pushed = 0;
    for update in updates.iter_mut().filter(|u| u.kind == "js") {
        let Some((site, source)) = script_source(app, &update.accepted_path) else {
            continue;
        };
        let query = format!("{}={}", crate::protocol::TIMESTAMP_PARAM, update.timestamp);
        let code =
            serve::module::pushed_script(&scripts, &update.accepted_path, &query, &site, source);
        let size: usize = code.iter().flatten().map(String::len).sum();
        if pushed + size <= crate::prepared::MOST_PUSHED {
            pushed += size;
            update.code = code;
        }
    }
    tracing::debug!(
        "{} modules made ready, {pushed} bytes of code pushed, in {:?}",
        ready.len(),
        started.elapsed()
    );
    app.live.prepared.replace(ready);
}

/// The site file of the script at the URL path `url`, and its text, when it is one hotplate
/// rewrites and no bigger than [`crate::prepared::LARGEST`]. Read as a request reads it: a
/// file caught empty mid-save is read again.
fn script_source(app: &App, url: &str) -> Option<(crate::base::SitePath, String)> {
    let Ok(route::Target::File { path, site }) = route::locate(&app.settings, url) else {
        return None;
    };
    if site.kind() != crate::base::Kind::Script
        || crate::modules::frameworks::unsupported_file(url).is_some()
        || std::fs::metadata(&path).ok()?.len() > crate::prepared::LARGEST as u64
    {
        return None;
    }
    Some((site, serve::module::read(&path)?))
}

/// The updates, each stylesheet's with its new rules when they are small enough to ride along
/// ([`payload::stylesheet`]): the page then applies them without fetching the file. The rules
/// of one message come to at most [`payload::stylesheet::MAX_TEXT`] together; the stylesheets
/// past that are fetched.
fn with_stylesheet_text(app: &App, updates: &[ModuleUpdate]) -> Vec<ModuleUpdate> {
    let mut updates = updates.to_vec();
    let mut carried = 0;
    for update in updates.iter_mut().filter(|u| u.kind == "css") {
        let Ok(route::Target::File { site, .. }) = route::locate(&app.settings, &update.path)
        else {
            continue;
        };
        let rules =
            payload::stylesheet::rules(&app.settings, &app.live.graph(), &update.path, &site);
        let size: usize = rules.iter().flatten().map(String::len).sum();
        if carried + size as u64 <= payload::stylesheet::MAX_TEXT {
            carried += size as u64;
            update.rules = rules;
        }
    }
    updates
}

fn publish_reload(app: &App, reload: Reload) {
    match reload {
        Reload::Nothing => {}
        Reload::Routes(routes) => {
            app.live.hub.publish(Message::Reload {
                reason: "a page changed".into(),
                routes: Some(routes.into_iter().collect()),
            });
        }
        Reload::Everything(reason) => {
            app.live.hub.publish(Message::reload_all(reason));
        }
    }
}

/// Step 1: the batch without the loaded scripts that do not parse.
fn check_scripts(app: &App, batch: &ChangeBatch) -> ChangeBatch {
    let mut checked = batch.clone();
    checked.changes.retain(|change| {
        if change.kind == ChangeKind::Removed {
            // A broken script that is deleted is no longer a problem.
            app.live
                .problems
                .resolve(&app.live.hub, change.path.as_str());
            app.modules.scripts.forget(change.path.as_str());
            app.modules.transforms.forget(change.path.as_str());
            return true;
        }
        let loaded = {
            let graph = app.live.graph();
            graph.contains(&change.path) && graph.kind(&change.path) == Kind::Script
        };
        if !loaded {
            return true;
        }
        let path = app.settings.root.join(change.path.as_str());
        let Ok(source) = std::fs::read_to_string(&path) else {
            return true;
        };
        // Parsed here, the served copy that follows comes from the cache.
        match app.modules.analyze_script(&change.path, source) {
            Ok(_) => {
                app.live
                    .problems
                    .resolve(&app.live.hub, change.path.as_str());
                true
            }
            Err(error) => {
                // A module too deep or too big to analyze is served as it is: its update goes
                // on. One that does not parse would only fail in the browser: it waits.
                let holds_back = matches!(error, AnalysisError::Syntax(_));
                let report = error.report(&change.path);
                tracing::error!("{}", report.one_line());
                app.live
                    .problems
                    .report(&app.live.hub, change.path.as_str(), report);
                !holds_back
            }
        }
    });
    checked
}

/// Every path of the original batch, for the raw `change` feed (held-back scripts included:
/// the file did change).
fn batch_paths(batch: &ChangeBatch) -> Vec<String> {
    batch.changes.iter().map(|c| c.path.to_string()).collect()
}

/// Step 4: renders `routes` again, keeps the renders for the refreshes, settles their problems
/// and sends one `html` message naming the routes that rendered, with each one's patch from the
/// render its tabs were served ([`payload::patch`]), as long as the patches fit in
/// [`payload::patch::MAX_PATCH`] together.
fn rerender(app: &App, routes: &[String], timestamp: u64, noticed: Option<std::time::SystemTime>) {
    if routes.is_empty() {
        return;
    }
    let mut rendered = BTreeSet::new();
    let mut patches = Vec::new();
    let mut patched = 0;
    let (mut fixed, mut failed) = (Vec::new(), Vec::new());
    for (index, route) in routes.iter().enumerate() {
        // Found again: another page may answer now, or a static file.
        let Some((page, params)) = route::rendering_page(&app.settings.root, route) else {
            app.site.pages.forget(route);
            app.live.graph_mut().forget_route(route);
            continue;
        };
        if index >= RENDER_AHEAD {
            app.site.pages.forget(route);
            rendered.insert(route.clone());
            continue;
        }
        let shown = app.site.pages.last(route);
        let (result, reads) = render::render_route(
            &app.site.renderer,
            &app.site.pages,
            true,
            route,
            &page,
            params,
            true,
        );
        app.live.graph_mut().record_render(route, reads);
        match result {
            Ok(render) => {
                // A render that did not change (an edit in a branch not taken) needs no update.
                if render.changed {
                    rendered.insert(route.clone());
                    if let Some(patch) = patch(shown, route, &render)
                        .filter(|p| patched + p.1 <= payload::patch::MAX_PATCH)
                    {
                        patched += patch.1;
                        patches.push(patch.0);
                    }
                }
                fixed.push(problem_source(route));
            }
            Err(err) => failed.push((problem_source(route), err.report)),
        }
    }
    app.live.problems.settle(&app.live.hub, &fixed, failed);
    if !rendered.is_empty() {
        let routes = app.live.graph().name_routes(&rendered);
        app.live.hub.publish(Message::Html {
            routes,
            timestamp,
            patches,
            timing: Timing::now(noticed),
        });
    }
    // The message is on its way: the trees patched in place are sealed for the next save.
    payload::patch::settle();
}

/// The patch from the render a route's tabs were `shown` to its new `render`, with its size;
/// `None` when they must fetch the page (no render known, or a change no patch carries).
fn patch(
    shown: Option<(String, Arc<str>)>,
    route: &str,
    render: &render::Rendered,
) -> Option<(PagePatch, usize)> {
    let (from, old) = shown?;
    let started = std::time::Instant::now();
    let ops = payload::patch::diff(&old, &render.html);
    tracing::debug!(
        "{route}: diffed in {:?}: {}",
        started.elapsed(),
        ops.as_ref()
            .map_or("fetched".to_string(), |ops| format!("{} ops", ops.len()))
    );
    let patch = PagePatch {
        route: route.to_string(),
        from,
        to: render.stamp.clone(),
        ops: ops?,
    };
    let size = serde_json::to_vec(&patch.ops).map_or(usize::MAX, |json| json.len());
    Some((patch, size))
}

/// Step 4 for an app ([`crate::layer()`]) or a backend (`--proxy`): they render, so the pages
/// hotplate kept are fetched once each, and their patches pushed ([`serve::refetch`]); other
/// routes are named, and their tabs fetch them. A file outside the asset folders that no
/// render is known to have read (a template of an app that renders without
/// [`crate::layer::Templates`], a backend's) may be behind any page: every page shown
/// refetches.
fn refetch(app: &App, batch: &ChangeBatch, plan: &UpdatePlan) {
    let mut routes: BTreeSet<String> = plan.rerender.iter().cloned().collect();
    let mut unread = false;
    for change in &batch.changes {
        if is_server_side(app, change.path.as_str()) {
            let readers = app.live.graph().routes_reading(&change.path);
            unread |= readers.is_empty();
            routes.extend(readers);
        }
    }
    if unread {
        routes.extend(app.live.graph().document_routes());
    }
    if routes.is_empty() {
        return;
    }
    let timing = Timing::now(batch.noticed);
    // A backend's pages hotplate kept are asked for once each, and their patches pushed
    // (`serve::refetch`); the others are named, and their tabs fetch them.
    if let Some(runtime) = app.live.served.runtime() {
        let mut kept = app.live.served.at(Some(&routes));
        kept.truncate(serve::refetch::MOST_PAGES);
        for (url, _) in &kept {
            routes.remove(crate::served::path_of(url));
        }
        if !kept.is_empty() {
            let fetches = serve::refetch::patches(app.live.clone(), kept, plan.timestamp, timing);
            runtime.spawn(fetches);
        }
    }
    if !routes.is_empty() {
        let routes = app.live.graph().name_routes(&routes);
        app.live.hub.publish(Message::Html {
            routes,
            timestamp: plan.timestamp,
            patches: Vec::new(),
            timing,
        });
    }
}

/// Whether `path` (relative to the root) lies in a watched folder the server reads from (an
/// app's templates, a backend's root) and in none of the asset folders served to browsers.
fn is_server_side(app: &App, path: &str) -> bool {
    let file = app.settings.root.join(path);
    let mut server = false;
    for mount in &app.settings.mounts {
        if file.starts_with(&mount.folder) {
            if mount.prefix.is_some() {
                return false;
            }
            server = true;
        }
    }
    server
}

/// A stylesheet outside the asset folders that changed may be one the backend serves itself
/// (a Flask app's `app/static/`): the pages' stylesheets it does not map to a file, with the
/// same file name, are swapped, as browser-sync matches them. One that is not it loads again,
/// unchanged.
fn swap_backend_stylesheets(app: &App, batch: &ChangeBatch, timestamp: u64) {
    let names: BTreeSet<&str> = batch
        .changes
        .iter()
        .filter(|change| change.kind != ChangeKind::Removed)
        .map(|change| change.path.as_str())
        .filter(|path| {
            crate::base::Kind::of(path) == crate::base::Kind::Style && is_server_side(app, path)
        })
        .filter_map(|path| path.rsplit('/').next())
        .collect();
    if names.is_empty() {
        return;
    }
    let updates: Vec<crate::base::ModuleUpdate> = app
        .live
        .graph()
        .missing_urls()
        .filter(|url| {
            url.rsplit('/')
                .next()
                .is_some_and(|name| names.contains(name))
        })
        .map(|url| crate::base::ModuleUpdate {
            rules: None,
            code: None,
            kind: "css",
            path: url.to_string(),
            accepted_path: url.to_string(),
            timestamp,
            first_invalidated_by: None,
        })
        .collect();
    if !updates.is_empty() {
        app.live.hub.publish(Message::Update {
            updates,
            timing: None,
        });
    }
}

/// Whether the batch changes a source of the backend that hotplate runs (`--restart-on`).
fn restarts_backend(app: &App, batch: &ChangeBatch) -> bool {
    let Some(backend) = app.backend.as_ref().filter(|b| b.is_supervised()) else {
        return false;
    };
    batch.changes.iter().any(|change| {
        is_server_side(app, change.path.as_str()) && backend.restarts_for(change.path.as_str())
    })
}

/// Every page shown fetches itself again and morphs (a backend came back).
fn refresh_all(app: &App, timestamp: u64) {
    let routes = app.live.graph().document_routes();
    if routes.is_empty() {
        return;
    }
    let routes = app.live.graph().name_routes(&routes);
    app.live.hub.publish(Message::Html {
        routes,
        timestamp,
        patches: Vec::new(),
        timing: None,
    });
}

/// Render failures are open problems per route: fixing one page's template does not hide
/// another's error.
fn problem_source(route: &str) -> String {
    format!("render {route}")
}
