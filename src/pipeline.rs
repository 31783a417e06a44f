//! The update pipeline: what happens between a change and the browsers.
//!
//! [`react`] carries one batch of changes through, in order:
//! 1. **check** the changed scripts the browsers have loaded: one that does not parse shows the
//!    overlay and is held back (its update would only fail in the browser); one that parses
//!    again clears its error;
//! 2. **plan** the smallest correct updates against the graph ([`plan::plan`]);
//! 3. **render check**: when templates changed, render the routes they show; a failure shows
//!    the overlay and leaves the open pages alone;
//! 4. **publish** to the hub: `change`, `prune`, `update`, `asset`, then any `reload`.
//!
//! [`invalidate`] does steps 2 and 4 for a module that asked to (`import.meta.hot.invalidate()`).

use crate::app::App;
use crate::base::{ChangeBatch, ChangeKind, ErrorReport, Message, SitePath};
use crate::graph::Kind;
use crate::plan::{self, Reload, UpdatePlan};
use crate::render::PageContext;
use crate::serve::{document, route};

/// The problem source of template render failures (scripts use their own path).
const RENDER: &str = "templates";

/// Carries one batch through check, plan, render check and hub.
pub fn react(app: &App, batch: &ChangeBatch) {
    let started = std::time::Instant::now();
    let changed = batch_paths(batch);
    if !changed.is_empty() {
        app.hub.publish(Message::Change {
            paths: changed.clone(),
        });
    }
    let batch = check_scripts(app, batch);
    let plan = plan::plan(&batch, &mut app.graph(), app.next_timestamp());
    let hub = &app.hub;
    let mut reload = publish(app, &plan);
    if !plan.rerender.is_empty() {
        match render_check(app, &plan.rerender) {
            Some(report) => {
                tracing::error!("{}", document::describe(&report));
                app.problems.report(hub, RENDER, report);
            }
            None => {
                app.problems.resolve(hub, RENDER);
                reload.merge(Reload::Routes(
                    plan.rerender.iter().map(|(r, _)| r.clone()).collect(),
                ));
            }
        }
    }
    publish_reload(app, reload);
    tracing::info!("{} in {:?}", changed.join(", "), started.elapsed());
}

/// A module asked to be replaced by its importers (`import.meta.hot.invalidate()`).
pub fn invalidate(app: &App, url: &str, message: Option<&str>) {
    let Ok(route::Target::File { site, .. }) = route::resolve(&app.settings.root, url) else {
        return;
    };
    match message {
        Some(message) => tracing::info!("{url} invalidated itself: {message}"),
        None => tracing::info!("{url} invalidated itself"),
    }
    let plan = plan::invalidate(&mut app.graph(), &site, app.next_timestamp());
    let reload = publish(app, &plan);
    publish_reload(app, reload);
}

/// Publishes the plan's prunes, updates and assets; returns what is left to reload.
fn publish(app: &App, plan: &UpdatePlan) -> Reload {
    let hub = &app.hub;
    if !plan.pruned.is_empty() {
        hub.publish(Message::Prune {
            paths: plan.pruned.clone(),
        });
    }
    if !plan.updates.is_empty() {
        hub.publish(Message::Update {
            updates: plan.updates.clone(),
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

fn publish_reload(app: &App, reload: Reload) {
    match reload {
        Reload::Nothing => {}
        Reload::Routes(routes) => {
            app.hub.publish(Message::Reload {
                reason: "a page changed".into(),
                routes: Some(routes.into_iter().collect()),
            });
        }
        Reload::Everything(reason) => {
            app.hub.publish(Message::reload_all(reason));
        }
    }
}

/// Step 1: the batch without the loaded scripts that do not parse.
fn check_scripts(app: &App, batch: &ChangeBatch) -> ChangeBatch {
    let mut checked = batch.clone();
    checked.changes.retain(|change| {
        if change.kind == ChangeKind::Removed {
            // A broken script that is deleted is no longer a problem.
            app.problems.resolve(&app.hub, change.path.as_str());
            app.scripts.forget(change.path.as_str());
            return true;
        }
        let loaded = {
            let graph = app.graph();
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
        match app.scripts.analyze(change.path.as_str(), &source) {
            Ok(_) => {
                app.problems.resolve(&app.hub, change.path.as_str());
                true
            }
            Err(error) => {
                let report = error.report(&change.path);
                tracing::error!("{}", document::describe(&report));
                app.problems.report(&app.hub, change.path.as_str(), report);
                false
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

/// Step 3: renders `routes`; the first failure's report, if any.
fn render_check(app: &App, routes: &[(String, SitePath)]) -> Option<ErrorReport> {
    // A page removed in the same batch is reloaded by the plan, not rendered here.
    let still_there = |template: &SitePath| app.settings.root.join(template.as_str()).is_file();
    routes
        .iter()
        .filter(|(_, t)| still_there(t))
        .find_map(|(route, template)| {
            let params = route::find_page(&app.settings.root, &segments(route))
                .map(|(_, params)| params)
                .unwrap_or_default();
            let context = PageContext {
                path: route.clone(),
                params,
            };
            app.renderer.render(template, &context).err()
        })
        .map(|err| err.report)
}

fn segments(route: &str) -> Vec<String> {
    crate::serve::guard::sanitize(route).unwrap_or_default()
}
