//! The plan stage: turns a [`ChangeBatch`] into the smallest correct [`UpdatePlan`].
//!
//! For each changed file, in this order:
//! 1. A lost-events batch (`rescan`) reloads every page.
//! 2. A template, content or data file (the server environment) asks for the routes rendered
//!    from templates to be rendered again; the caller turns a clean render into an update and a
//!    failed one into the error overlay. A removed page template reloads the routes it answered.
//! 3. A stylesheet that a served document links is swapped in place (`css` update).
//! 4. A static `.html` file reloads only the routes that showed it.
//! 5. A removed file that nothing served is dropped: no page can depend on it.
//! 6. Anything else reloads every page: the client graph does not yet know script imports, so
//!    a doubt is a reload.

use crate::base::{ChangeBatch, ChangeKind, ModuleUpdate, Role, SitePath};
use crate::graph::Graph;
use std::collections::BTreeSet;

/// What to do about one batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdatePlan {
    /// Stylesheets to swap.
    pub css: Vec<ModuleUpdate>,
    /// Routes (with their page template) to render again because their templates changed.
    pub rerender: Vec<(String, SitePath)>,
    pub reload: Reload,
    /// Every changed path, relative to the root, for the raw `change` feed.
    pub changed: Vec<String>,
}

/// Which pages must reload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Reload {
    #[default]
    Nothing,
    /// Only clients showing one of these routes.
    Routes(BTreeSet<String>),
    /// Every client, for this reason.
    Everything(String),
}

impl Reload {
    /// Widens this reload to cover `other` too.
    pub fn merge(&mut self, other: Reload) {
        *self = match (std::mem::take(self), other) {
            (Reload::Everything(reason), _) | (_, Reload::Everything(reason)) => {
                Reload::Everything(reason)
            }
            (Reload::Routes(mut a), Reload::Routes(b)) => {
                a.extend(b);
                Reload::Routes(a)
            }
            (Reload::Nothing, other) | (other, Reload::Nothing) => other,
        };
    }
}

/// Plans the updates for `batch` against what `graph` knows was served.
pub fn plan(batch: &ChangeBatch, graph: &Graph, timestamp: u64) -> UpdatePlan {
    let mut plan = UpdatePlan {
        changed: batch.changes.iter().map(|c| c.path.to_string()).collect(),
        ..UpdatePlan::default()
    };
    if batch.rescan {
        plan.reload = Reload::Everything("the watcher lost events and rescanned".into());
        return plan;
    }
    let mut rerender = false;
    for change in &batch.changes {
        let path = &change.path;
        let removed = change.kind == ChangeKind::Removed;
        if path.role() == Role::Page && removed {
            plan.reload.merge(routes(graph.routes_showing(path)));
        } else if path.role().is_server_only() {
            rerender = true;
        } else if let (Some(url), false) = (graph.linked_stylesheet(path), removed) {
            plan.css.push(ModuleUpdate {
                kind: "css",
                path: url.to_string(),
                accepted_path: url.to_string(),
                timestamp,
            });
        } else if path.extension() == "html" {
            plan.reload.merge(routes(graph.routes_showing(path)));
        } else if removed && !graph.contains(path) {
            continue;
        } else {
            plan.reload
                .merge(Reload::Everything(format!("{path} changed")));
        }
    }
    if rerender {
        plan.rerender = graph.rendered_routes();
    }
    plan
}

fn routes(routes: Vec<String>) -> Reload {
    if routes.is_empty() {
        Reload::Nothing
    } else {
        Reload::Routes(routes.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::Change;
    use crate::graph::Import;

    fn batch(changes: &[(&str, ChangeKind)]) -> ChangeBatch {
        ChangeBatch {
            changes: changes
                .iter()
                .map(|(p, kind)| Change {
                    path: SitePath::new(p),
                    kind: *kind,
                })
                .collect(),
            rescan: false,
        }
    }

    fn modified(path: &str) -> ChangeBatch {
        batch(&[(path, ChangeKind::Modified)])
    }

    /// `/` rendered from `index.html` linking `/main.css`; `/docs/` is static `docs/index.html`.
    fn served_site() -> Graph {
        let mut graph = Graph::new();
        let import = |f: &str| Import {
            file: SitePath::new(f),
            url: SitePath::new(f).url(),
        };
        graph.record_document("/", &SitePath::new("index.html"), vec![import("main.css")]);
        graph.record_document(
            "/docs/",
            &SitePath::new("docs/index.html"),
            vec![import("public/docs.css")],
        );
        graph
    }

    #[test]
    fn a_linked_stylesheet_is_swapped_by_its_url() {
        let plan = plan(&modified("public/docs.css"), &served_site(), 42);
        assert_eq!(plan.css.len(), 1);
        assert_eq!(plan.css[0].path, "/docs.css");
        assert_eq!(plan.css[0].timestamp, 42);
        assert_eq!(plan.reload, Reload::Nothing);
        assert_eq!(plan.changed, vec!["public/docs.css"]);
    }

    #[test]
    fn a_static_html_file_reloads_only_the_routes_showing_it() {
        let plan = plan(&modified("docs/index.html"), &served_site(), 1);
        assert_eq!(plan.reload, Reload::Routes(["/docs/".to_string()].into()));
        assert!(plan.rerender.is_empty());
    }

    #[test]
    fn an_unserved_static_html_file_reloads_nothing() {
        let plan = plan(&modified("other.html"), &served_site(), 1);
        assert_eq!(plan.reload, Reload::Nothing);
    }

    #[test]
    fn a_template_change_re_renders_the_rendered_routes() {
        for file in [
            "layouts/base.html",
            "partials/nav.html",
            "index.html",
            "content/a.md",
        ] {
            let plan = plan(&modified(file), &served_site(), 1);
            assert_eq!(
                plan.rerender,
                vec![("/".to_string(), SitePath::new("index.html"))],
                "{file}"
            );
            assert_eq!(plan.reload, Reload::Nothing, "{file}");
        }
    }

    #[test]
    fn a_removed_page_reloads_the_routes_it_answered() {
        let plan = plan(
            &batch(&[("index.html", ChangeKind::Removed)]),
            &served_site(),
            1,
        );
        assert_eq!(plan.reload, Reload::Routes(["/".to_string()].into()));
    }

    #[test]
    fn anything_else_reloads_everything() {
        let plan = plan(&modified("app.js"), &served_site(), 1);
        assert!(matches!(plan.reload, Reload::Everything(reason) if reason.contains("app.js")));
        // So does a stylesheet no served page links.
        let plan2 = super::plan(&modified("unlinked.css"), &served_site(), 1);
        assert!(matches!(plan2.reload, Reload::Everything(_)));
    }

    #[test]
    fn a_removed_file_nothing_served_is_dropped() {
        let plan = plan(
            &batch(&[("gone.js", ChangeKind::Removed)]),
            &served_site(),
            1,
        );
        assert_eq!(plan.reload, Reload::Nothing);
    }

    #[test]
    fn a_rescan_reloads_everything() {
        let plan = plan(
            &ChangeBatch {
                changes: vec![],
                rescan: true,
            },
            &served_site(),
            1,
        );
        assert!(matches!(plan.reload, Reload::Everything(_)));
    }

    #[test]
    fn reloads_widen_when_merged() {
        let mut r = Reload::Routes(["/a".to_string()].into());
        r.merge(Reload::Routes(["/b".to_string()].into()));
        assert_eq!(
            r,
            Reload::Routes(["/a".to_string(), "/b".to_string()].into())
        );
        r.merge(Reload::Everything("x".into()));
        r.merge(Reload::Nothing);
        assert_eq!(r, Reload::Everything("x".into()));
    }
}
