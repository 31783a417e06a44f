//! The plan stage: turns a [`ChangeBatch`] into the smallest correct [`UpdatePlan`].
//!
//! For each changed file, in this order:
//! 1. A lost-events batch (`rescan`) reloads every page.
//! 2. Any file that the last render of some routes read (the server environment: pages,
//!    layouts, partials, macros, content and data, and files in folders a render listed) asks
//!    for exactly those routes to be rendered again; the caller turns a clean render into an
//!    `html` update and a failed one into the error overlay. A removed page template reloads
//!    the routes it answered instead, and the graph forgets them; a page added or removed marks every cached render stale,
//!    since a URL may now find another page. Files only the server reads (templates, content,
//!    data) stop here; any other file goes on to the client steps too, so a file both sides
//!    use gets both updates.
//! 3. A static `.html` file reloads only the routes that showed it.
//! 4. A file that was never served is dropped: no page can depend on it. If served files named
//!    it before it existed, they are walked as changed files instead.
//! 5. Any other served file is walked up its importers in the client graph (`Walk`):
//!    - a module that accepts itself, or an importer that accepts it, is a boundary: a `js`
//!      update re-imports it there;
//!    - a stylesheet a document links is swapped (`css`), including when the change came
//!      through `@import` or `url()`;
//!    - an image or other asset a document names is re-requested (`asset`);
//!    - a script that reaches a document without a boundary is a dead end: the routes showing
//!      that document reload;
//!    - a file nothing known imports (fetched, or imported by a computed specifier) reloads
//!      every page, unless a page imports it itself with a `?t=` URL (the container pattern of
//!      the raw change feed): that page updates it.
//!
//!    Every file on the way gets the update's timestamp in the graph, so the files served
//!    afterwards name it with `?t=`; files off the way keep their URLs. Cycles end because a
//!    file is walked once.
//! 6. A removed file is pruned (its dispose and prune callbacks run in the browser) and its
//!    importers are walked as if they had changed, since what they import is gone.
//!
//! [`invalidate`] carries a walk on from a module's importers when the module asks for it
//! (`import.meta.hot.invalidate()`).
//!
//! Planning only reads the graph. What the plan changes in it (routes forgotten, files removed,
//! stamped or appeared, an invalidation noted) is listed in [`UpdatePlan::edits`], and the
//! pipeline, the graph's one writer, applies them ([`UpdatePlan::apply`]). A batch that removes
//! files is planned against a copy of the graph with each removal made as it comes, so a later
//! change of the same batch sees the graph as the removal left it.

use crate::base::{ChangeBatch, ChangeKind, ModuleUpdate, Role, SitePath};
use crate::graph::{Graph, Kind};
use std::borrow::Cow;
use std::collections::BTreeSet;

/// What to do about one batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdatePlan {
    /// Stylesheet swaps and module re-imports, in the order they must be applied.
    pub updates: Vec<ModuleUpdate>,
    /// URL paths of images and other assets to re-request.
    pub assets: Vec<String>,
    /// URL paths of modules that are gone: their dispose, then prune, callbacks run.
    pub pruned: Vec<String>,
    /// Routes a page rendered, to render again because something their last render read
    /// changed.
    pub rerender: Vec<String>,
    /// Routes whose page template was removed: they reload into a 404 and are forgotten.
    pub removed_routes: Vec<String>,
    /// A page template was added or removed: any cached render may now be of the wrong page.
    pub pages_changed: bool,
    pub reload: Reload,
    /// The time of this update, as stamped on the files it made stale.
    pub timestamp: u64,
    /// What the plan changes in the graph, in order (see [`UpdatePlan::apply`]).
    pub edits: Vec<Edit>,
}

/// One change a plan makes to the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// The route's page template was removed: the graph forgets what it showed and read.
    ForgetRoute(String),
    /// The file is gone: its node goes, with the imports only it kept (their URLs are in
    /// [`UpdatePlan::pruned`]).
    Remove(SitePath),
    /// The file appeared after files named it: they name it with the update's `?t=`.
    Appeared(SitePath),
    /// The file was made stale by this update: it is named with the update's `?t=` from now on.
    Stamp(SitePath),
    /// The file invalidated the version its last hot update brought (once per update).
    Invalidated(SitePath),
}

impl UpdatePlan {
    /// Makes the plan's changes to `graph` (the pipeline, its one writer, calls this with the
    /// graph the plan was made from).
    pub fn apply(&self, graph: &mut Graph) {
        for edit in &self.edits {
            match edit {
                Edit::ForgetRoute(route) => graph.forget_route(route),
                Edit::Remove(file) => {
                    graph.remove(file);
                }
                Edit::Appeared(file) => graph.appeared(file, self.timestamp),
                Edit::Stamp(file) => graph.stamp(file, self.timestamp),
                Edit::Invalidated(file) => graph.note_invalidated(file),
            }
        }
    }
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
    /// Whether clients showing `route` reload.
    pub fn covers(&self, route: &str) -> bool {
        match self {
            Reload::Nothing => false,
            Reload::Routes(routes) => routes.contains(route),
            Reload::Everything(_) => true,
        }
    }

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

/// Plans the updates for `batch` against what `graph` knows was served; the files it makes
/// stale get `timestamp` when the plan is applied.
pub fn plan(batch: &ChangeBatch, graph: &Graph, timestamp: u64) -> UpdatePlan {
    let mut plan = UpdatePlan {
        timestamp,
        ..UpdatePlan::default()
    };
    if batch.rescan {
        plan.reload = Reload::Everything("the watcher lost events and rescanned".into());
        return plan;
    }
    // The graph as the batch's removals so far left it: copied at the first removal only.
    let mut graph = Cow::Borrowed(graph);
    let mut rerender = BTreeSet::new();
    let mut walk = Walk::new(timestamp);
    for change in &batch.changes {
        let path = &change.path;
        let removed = change.kind == ChangeKind::Removed;
        if path.role() == Role::Page && (removed || graph.routes_showing(path).is_empty()) {
            plan.pages_changed = true;
        }
        if path.role() == Role::Page && removed {
            let shown = graph.routes_showing(path);
            for route in &shown {
                graph.to_mut().forget_route(route);
                plan.edits.push(Edit::ForgetRoute(route.clone()));
            }
            plan.removed_routes.extend(shown.iter().cloned());
            plan.reload.merge(routes(shown));
            continue;
        }
        rerender.extend(graph.routes_reading(path));
        if path.role().is_server_only() {
            continue;
        }
        if path.kind() == Kind::Document {
            plan.reload.merge(routes(graph.routes_showing(path)));
        } else if !graph.contains(path) {
            // Never served, so no browser has it; but files that named it before it existed
            // are what changed now, and so are modules whose globs match it (as it comes or
            // goes).
            if !removed {
                let waiting = graph.waiting_for_file(path);
                if !waiting.is_empty() {
                    plan.edits.push(Edit::Appeared(path.clone()));
                }
                for waiting in waiting {
                    walk.file(&graph, &waiting);
                }
            }
            for globbing in graph.globbing(path) {
                walk.file(&graph, &globbing);
            }
        } else if removed {
            walk.importers_of(&graph, path);
            plan.pruned.extend(graph.to_mut().remove(path));
            plan.edits.push(Edit::Remove(path.clone()));
        } else {
            walk.file(&graph, path);
        }
    }
    walk.finish(&graph, &mut plan);
    plan.rerender = rerender
        .into_iter()
        .filter(|route| !plan.reload.covers(route) && graph.page_of(route).is_some())
        .collect();
    plan
}

/// Plans the updates for a module that invalidated itself after a hot update: its importers
/// are walked as if they had changed. As in Vite:
/// - a module that was never hot-updated cannot invalidate (it would loop on every load);
/// - one hot update is invalidated once, however many tabs applied it and asked
///   ([`Graph::invalidated`]);
/// - `first` is the module whose invalidation started the chain (`file` itself when none
///   did); the updates carry it on, and a chain that comes back to it reloads every page
///   instead, so modules that invalidate each other end.
pub fn invalidate(
    graph: &Graph,
    file: &SitePath,
    first: Option<&str>,
    timestamp: u64,
) -> UpdatePlan {
    let mut plan = UpdatePlan {
        timestamp,
        ..UpdatePlan::default()
    };
    if graph.timestamp(file) == 0 || graph.invalidated(file) {
        return plan;
    }
    plan.edits.push(Edit::Invalidated(file.clone()));
    let first = match first {
        Some(first) => first.to_string(),
        None => graph.node(file).map(|n| n.url.clone()).unwrap_or_default(),
    };
    let mut walk = Walk::new(timestamp);
    walk.importers_of(graph, file);
    if walk.updates.iter().any(|u| u.path == first) {
        plan.reload = Reload::Everything(format!(
            "{first} was invalidated again by the chain it started"
        ));
        return plan;
    }
    for update in &mut walk.updates {
        update.first_invalidated_by = Some(first.clone());
    }
    walk.finish(graph, &mut plan);
    plan
}

/// One walk up the client graph, shared by every file of a batch, so each file is visited
/// once however many changed files lead to it.
struct Walk {
    timestamp: u64,
    visited: BTreeSet<SitePath>,
    /// Files made stale: they get the timestamp.
    stale: Vec<SitePath>,
    updates: Vec<ModuleUpdate>,
    assets: Vec<String>,
    dead_ends: BTreeSet<SitePath>,
    unknown: Option<String>,
}

impl Walk {
    fn new(timestamp: u64) -> Walk {
        Walk {
            timestamp,
            visited: BTreeSet::new(),
            stale: Vec::new(),
            updates: Vec::new(),
            assets: Vec::new(),
            dead_ends: BTreeSet::new(),
            unknown: None,
        }
    }

    /// `file` changed.
    fn file(&mut self, graph: &Graph, file: &SitePath) {
        if !self.visited.insert(file.clone()) {
            return;
        }
        let Some(node) = graph.node(file) else {
            return;
        };
        let kind = graph.kind(file);
        if kind == Kind::Document {
            self.dead_ends.insert(file.clone());
            return;
        }
        self.stale.push(file.clone());
        // A script, or a stylesheet imported by one (which accepts itself).
        if node.accepts.itself {
            self.update("js", &node.url, &node.url);
            return;
        }
        if node.importers.is_empty() {
            if !node.page_managed {
                self.unknown.get_or_insert_with(|| {
                    format!(
                        "{} changed and nothing hotplate served imports it",
                        node.url
                    )
                });
            }
            return;
        }
        for importer in &node.importers {
            let Some(boundary) = graph.node(importer) else {
                continue;
            };
            match (graph.kind(importer), kind) {
                (Kind::Document, Kind::Style) => self.update("css", &node.url, &node.url),
                (Kind::Document, Kind::Asset) => self.asset(&node.url),
                (Kind::Document, _) => {
                    self.dead_ends.insert(importer.clone());
                }
                (Kind::Script, _) if boundary.accepts.deps.contains(file) => {
                    self.update("js", &boundary.url, &node.url);
                }
                _ => self.file(graph, importer),
            }
        }
    }

    /// What `file` imports is gone, or `file` asked to be treated as such: walk on from its
    /// importers as if they had changed.
    fn importers_of(&mut self, graph: &Graph, file: &SitePath) {
        self.visited.insert(file.clone());
        let importers = graph
            .node(file)
            .map(|n| n.importers.clone())
            .unwrap_or_default();
        for importer in importers {
            self.file(graph, &importer);
        }
    }

    fn update(&mut self, kind: &'static str, path: &str, accepted_path: &str) {
        let exists = self
            .updates
            .iter()
            .any(|u| u.path == path && u.accepted_path == accepted_path);
        if !exists {
            self.updates.push(ModuleUpdate {
                rules: None,
                code: None,
                kind,
                path: path.to_string(),
                accepted_path: accepted_path.to_string(),
                timestamp: self.timestamp,
                first_invalidated_by: None,
            });
        }
    }

    fn asset(&mut self, url: &str) {
        if !self.assets.iter().any(|a| a == url) {
            self.assets.push(url.to_string());
        }
    }

    /// Moves the outcome into `plan`; the stale files are stamped when it is applied.
    fn finish(self, graph: &Graph, plan: &mut UpdatePlan) {
        plan.edits
            .extend(self.stale.iter().cloned().map(Edit::Stamp));
        plan.updates.extend(self.updates);
        plan.assets.extend(self.assets);
        for document in &self.dead_ends {
            plan.reload.merge(routes(graph.routes_showing(document)));
        }
        if let Some(reason) = self.unknown {
            plan.reload.merge(Reload::Everything(reason));
        }
    }
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

    /// Plans `batch` and applies the plan's edits, as the pipeline does.
    fn plan(batch: &ChangeBatch, graph: &mut Graph, timestamp: u64) -> UpdatePlan {
        let plan = super::plan(batch, graph, timestamp);
        plan.apply(graph);
        plan
    }

    /// Plans an invalidation and applies it, as the pipeline does.
    fn invalidate(
        graph: &mut Graph,
        file: &SitePath,
        first: Option<&str>,
        timestamp: u64,
    ) -> UpdatePlan {
        let plan = super::invalidate(graph, file, first, timestamp);
        plan.apply(graph);
        plan
    }

    #[test]
    fn planning_only_reads_the_graph_and_applying_makes_the_plans_edits() {
        let mut graph = served_site();
        let before = format!("{graph:?}");
        let batch = batch(&[
            ("format.js", ChangeKind::Modified),
            ("view.js", ChangeKind::Removed),
        ]);
        let first = super::plan(&batch, &graph, 7);
        assert_eq!(format!("{graph:?}"), before, "planning changed the graph");
        assert_eq!(super::plan(&batch, &graph, 7), first, "the same plan twice");
        assert!(
            first
                .edits
                .contains(&Edit::Remove(SitePath::new("view.js")))
        );
        assert!(
            first
                .edits
                .iter()
                .any(|edit| matches!(edit, Edit::Stamp(_))),
            "{:?}",
            first.edits
        );
        first.apply(&mut graph);
        assert!(!graph.contains(&SitePath::new("view.js")));
        assert_eq!(graph.timestamp(&SitePath::new("app.js")), 7);
    }
    use crate::base::{Change, Reads};
    use crate::graph::{Accepts, Import};

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
            ..Default::default()
        }
    }

    fn modified(path: &str) -> ChangeBatch {
        batch(&[(path, ChangeKind::Modified)])
    }

    fn imports(files: &[&str]) -> Vec<Import> {
        files
            .iter()
            .map(|f| Import {
                file: SitePath::new(f),
                url: SitePath::new(f).url(),
            })
            .collect()
    }

    fn module(graph: &mut Graph, file: &str, deps: &[&str], itself: bool, accepts: &[&str]) {
        let accepts = Accepts {
            itself,
            deps: accepts.iter().map(|d| SitePath::new(d)).collect(),
        };
        graph.record_module(
            &SitePath::new(file),
            &SitePath::new(file).url(),
            imports(deps),
            accepts,
        );
    }

    /// `/` is rendered from `index.html`, linking `/main.css` (which `@import`s `base.css`
    /// and uses `bg.png`), showing `/logo.svg` and loading `main.js`; `/docs/` is static
    /// `docs/index.html`, linking `public/docs.css`. `/about` is rendered from
    /// `pages/about.html`.
    ///
    /// The renders read: `/` its page, `layouts/base.html`, `partials/nav.html`,
    /// `content/a.md` and (inlined) `public/logo.svg`; `/about` its page and the layout.
    ///
    /// ```text
    /// main.js ─> app.js (accepts itself) ─> view.js ─> format.js
    ///        └─> store.js (accepted by main.js) ─> api.js
    ///        └─> cycle-a.js (accepts itself) <─> cycle-b.js
    /// ```
    fn served_site() -> Graph {
        let mut graph = Graph::new();
        graph.record_document(
            "/",
            &SitePath::new("index.html"),
            imports(&["main.css", "public/logo.svg", "main.js"]),
        );
        graph.record_document(
            "/docs/",
            &SitePath::new("docs/index.html"),
            imports(&["public/docs.css"]),
        );
        module(&mut graph, "main.css", &["base.css", "bg.png"], false, &[]);
        module(&mut graph, "base.css", &[], false, &[]);
        module(
            &mut graph,
            "main.js",
            &["app.js", "store.js", "cycle-a.js"],
            false,
            &["store.js"],
        );
        module(&mut graph, "app.js", &["view.js"], true, &[]);
        module(&mut graph, "view.js", &["format.js"], false, &[]);
        module(&mut graph, "format.js", &[], false, &[]);
        module(&mut graph, "store.js", &["api.js"], false, &[]);
        module(&mut graph, "api.js", &[], false, &[]);
        module(&mut graph, "cycle-a.js", &["cycle-b.js"], true, &[]);
        module(&mut graph, "cycle-b.js", &["cycle-a.js"], false, &[]);
        let about = SitePath::new("pages/about.html");
        graph.record_document("/about", &about, vec![]);
        let reads = |files: &[&str]| Reads {
            files: files.iter().map(|f| SitePath::new(f)).collect(),
            folders: Default::default(),
        };
        graph.record_render(
            "/",
            reads(&[
                "index.html",
                "layouts/base.html",
                "partials/nav.html",
                "content/a.md",
                "public/logo.svg",
            ]),
        );
        graph.record_render("/about", reads(&["pages/about.html", "layouts/base.html"]));
        graph
    }

    fn updates(plan: &UpdatePlan) -> Vec<(&str, &str, &str)> {
        plan.updates
            .iter()
            .map(|u| (u.kind, u.path.as_str(), u.accepted_path.as_str()))
            .collect()
    }

    #[test]
    fn a_linked_stylesheet_is_swapped_by_its_url() {
        let plan = plan(&modified("public/docs.css"), &mut served_site(), 42);
        assert_eq!(updates(&plan), vec![("css", "/docs.css", "/docs.css")]);
        assert_eq!(plan.updates[0].timestamp, 42);
        assert_eq!(plan.reload, Reload::Nothing);
    }

    #[test]
    fn an_imported_stylesheet_swaps_the_linked_one_and_is_stamped() {
        let mut graph = served_site();
        let plan = plan(&modified("base.css"), &mut graph, 42);
        assert_eq!(updates(&plan), vec![("css", "/main.css", "/main.css")]);
        assert_eq!(graph.timestamp(&SitePath::new("base.css")), 42);
        assert_eq!(plan.reload, Reload::Nothing);
    }

    #[test]
    fn an_asset_is_re_requested_by_documents_and_stylesheets() {
        let mut graph = served_site();
        let plan = plan(&modified("public/logo.svg"), &mut graph, 5);
        assert_eq!(plan.assets, vec!["/logo.svg"]);
        assert!(plan.updates.is_empty());
        let plan2 = self::plan(&modified("bg.png"), &mut graph, 6);
        assert_eq!(updates(&plan2), vec![("css", "/main.css", "/main.css")]);
        assert_eq!(graph.timestamp(&SitePath::new("bg.png")), 6);
        assert_eq!(plan2.reload, Reload::Nothing);
    }

    #[test]
    fn a_self_accepting_module_is_its_own_boundary() {
        let mut graph = served_site();
        let plan = plan(&modified("app.js"), &mut graph, 9);
        assert_eq!(updates(&plan), vec![("js", "/app.js", "/app.js")]);
        assert_eq!(plan.reload, Reload::Nothing);
        assert_eq!(graph.timestamp(&SitePath::new("app.js")), 9);
        assert_eq!(graph.timestamp(&SitePath::new("main.js")), 0);
    }

    #[test]
    fn a_nested_dependency_propagates_to_the_boundary_stamping_the_chain() {
        let mut graph = served_site();
        let plan = plan(&modified("format.js"), &mut graph, 9);
        assert_eq!(updates(&plan), vec![("js", "/app.js", "/app.js")]);
        for stale in ["format.js", "view.js", "app.js"] {
            assert_eq!(graph.timestamp(&SitePath::new(stale)), 9, "{stale}");
        }
        for fresh in ["main.js", "store.js", "api.js"] {
            assert_eq!(graph.timestamp(&SitePath::new(fresh)), 0, "{fresh}");
        }
    }

    #[test]
    fn an_accepted_dependency_is_re_imported_by_its_importer() {
        let mut graph = served_site();
        let plan = plan(&modified("api.js"), &mut graph, 3);
        assert_eq!(updates(&plan), vec![("js", "/main.js", "/store.js")]);
        assert_eq!(plan.reload, Reload::Nothing);
        assert_eq!(graph.timestamp(&SitePath::new("store.js")), 3);
        assert_eq!(graph.timestamp(&SitePath::new("main.js")), 0);
    }

    #[test]
    fn a_module_without_a_boundary_reloads_the_routes_that_load_it() {
        let plan = plan(&modified("main.js"), &mut served_site(), 1);
        assert!(plan.updates.is_empty());
        assert_eq!(plan.reload, Reload::Routes(["/".to_string()].into()));
    }

    #[test]
    fn a_cycle_ends_at_its_self_accepting_module() {
        let plan = plan(&modified("cycle-b.js"), &mut served_site(), 1);
        assert_eq!(updates(&plan), vec![("js", "/cycle-a.js", "/cycle-a.js")]);
        assert_eq!(plan.reload, Reload::Nothing);
    }

    #[test]
    fn a_cycle_without_a_boundary_terminates_in_a_reload() {
        let mut graph = Graph::new();
        graph.record_document("/", &SitePath::new("index.html"), imports(&["a.js"]));
        module(&mut graph, "a.js", &["b.js"], false, &[]);
        module(&mut graph, "b.js", &["a.js"], false, &[]);
        let plan = plan(&modified("b.js"), &mut graph, 1);
        assert_eq!(plan.reload, Reload::Routes(["/".to_string()].into()));
    }

    #[test]
    fn one_save_of_several_files_gives_each_boundary_once_in_order() {
        let plan = plan(
            &batch(&[
                ("view.js", ChangeKind::Modified),
                ("format.js", ChangeKind::Modified),
                ("api.js", ChangeKind::Modified),
            ]),
            &mut served_site(),
            1,
        );
        assert_eq!(
            updates(&plan),
            vec![
                ("js", "/app.js", "/app.js"),
                ("js", "/main.js", "/store.js")
            ]
        );
    }

    #[test]
    fn a_removed_module_is_pruned_and_its_importers_walked() {
        let mut graph = served_site();
        let plan = plan(&batch(&[("view.js", ChangeKind::Removed)]), &mut graph, 4);
        assert_eq!(plan.pruned, vec!["/view.js", "/format.js"]);
        assert_eq!(updates(&plan), vec![("js", "/app.js", "/app.js")]);
        assert!(!graph.contains(&SitePath::new("view.js")));
    }

    #[test]
    fn a_file_that_appears_updates_the_files_that_named_it() {
        let mut graph = served_site();
        graph.record_missing(&SitePath::new("app.js"), ["/later.js".to_string()].into());
        graph.record_missing(
            &SitePath::new("index.html"),
            ["/later.css".to_string()].into(),
        );
        let plan = plan(&modified("later.js"), &mut graph, 1);
        assert_eq!(updates(&plan), vec![("js", "/app.js", "/app.js")]);
        // Named afresh: the browser keeps the failed import of `/later.js`.
        assert_eq!(graph.timestamp(&SitePath::new("later.js")), 1);
        let plan = self::plan(&modified("later.css"), &mut graph, 2);
        assert_eq!(plan.reload, Reload::Routes(["/".to_string()].into()));
    }

    #[test]
    fn a_module_nothing_known_imports_reloads_everything() {
        let mut graph = served_site();
        graph.record_served(&SitePath::new("fetched.json"), "/fetched.json");
        let plan = plan(&modified("fetched.json"), &mut graph, 1);
        assert!(
            matches!(plan.reload, Reload::Everything(reason) if reason.contains("/fetched.json"))
        );
    }

    #[test]
    fn a_module_a_page_imports_itself_with_a_timestamp_is_left_to_it() {
        let mut graph = served_site();
        module(&mut graph, "widget.js", &[], false, &[]);
        graph.record_cache_busted(&SitePath::new("widget.js"));
        let plan = plan(&modified("widget.js"), &mut graph, 1);
        assert_eq!(plan.reload, Reload::Nothing);
        assert!(plan.updates.is_empty());
        // Our own `?t=` re-imports of imported modules change nothing.
        graph.record_cache_busted(&SitePath::new("app.js"));
        assert!(!graph.node(&SitePath::new("app.js")).unwrap().page_managed);
    }

    #[test]
    fn invalidate_walks_on_from_the_importers() {
        let mut graph = served_site();
        // Never hot-updated: nothing to carry on.
        let nothing = invalidate(&mut graph, &SitePath::new("cycle-a.js"), None, 2);
        assert!(nothing.updates.is_empty() && nothing.reload == Reload::Nothing);
        plan(&modified("app.js"), &mut graph, 1);
        let plan = invalidate(&mut graph, &SitePath::new("app.js"), None, 2);
        // main.js accepts nothing of app.js and has no boundary above it.
        assert_eq!(plan.reload, Reload::Routes(["/".to_string()].into()));
        let plan = invalidate(&mut graph, &SitePath::new("cycle-a.js"), None, 3);
        assert!(plan.updates.is_empty() && plan.reload == Reload::Nothing);
    }

    #[test]
    fn invalidate_reaches_a_boundary_above() {
        let mut graph = served_site();
        plan(&modified("view.js"), &mut graph, 1);
        // view.js asked to invalidate: app.js, its importer, accepts itself.
        let plan = invalidate(&mut graph, &SitePath::new("view.js"), None, 2);
        assert_eq!(updates(&plan), vec![("js", "/app.js", "/app.js")]);
        assert_eq!(graph.timestamp(&SitePath::new("app.js")), 2);
    }

    #[test]
    fn one_update_is_invalidated_once_however_many_tabs_ask() {
        let mut graph = served_site();
        plan(&modified("view.js"), &mut graph, 1);
        let first = invalidate(&mut graph, &SitePath::new("view.js"), None, 2);
        assert_eq!(updates(&first), vec![("js", "/app.js", "/app.js")]);
        let again = invalidate(&mut graph, &SitePath::new("view.js"), None, 3);
        assert!(again.updates.is_empty() && again.reload == Reload::Nothing);
        // The next hot update of it may invalidate again.
        plan(&modified("view.js"), &mut graph, 4);
        let next = invalidate(&mut graph, &SitePath::new("view.js"), None, 5);
        assert_eq!(updates(&next), vec![("js", "/app.js", "/app.js")]);
    }

    #[test]
    fn updates_after_an_invalidation_name_the_module_that_started_it() {
        let mut graph = served_site();
        plan(&modified("view.js"), &mut graph, 1);
        let plan = invalidate(&mut graph, &SitePath::new("view.js"), None, 2);
        assert_eq!(
            plan.updates[0].first_invalidated_by.as_deref(),
            Some("/view.js")
        );
    }

    #[test]
    fn modules_that_invalidate_each_other_end_with_one_reload() {
        let mut graph = Graph::new();
        graph.record_document("/", &SitePath::new("index.html"), imports(&["a.js"]));
        module(&mut graph, "a.js", &["b.js"], true, &[]);
        module(&mut graph, "b.js", &["a.js"], true, &[]);
        plan(&modified("b.js"), &mut graph, 1);
        // b.js invalidates: a.js, its importer, updates, carrying b.js as the first.
        let plan_a = invalidate(&mut graph, &SitePath::new("b.js"), None, 2);
        assert_eq!(updates(&plan_a), vec![("js", "/a.js", "/a.js")]);
        // a.js invalidates in turn, inside that chain: the walk comes back to b.js.
        let back = invalidate(&mut graph, &SitePath::new("a.js"), Some("/b.js"), 3);
        assert!(back.updates.is_empty());
        assert!(
            matches!(back.reload, Reload::Everything(_)),
            "{:?}",
            back.reload
        );
    }

    #[test]
    fn a_static_html_file_reloads_only_the_routes_showing_it() {
        let plan = plan(&modified("docs/index.html"), &mut served_site(), 1);
        assert_eq!(plan.reload, Reload::Routes(["/docs/".to_string()].into()));
        assert!(plan.rerender.is_empty());
    }

    #[test]
    fn an_unserved_file_changes_nothing() {
        for file in ["other.html", "unlinked.css", "never.js", "gone.js"] {
            let plan = plan(&modified(file), &mut served_site(), 1);
            assert_eq!(plan.reload, Reload::Nothing, "{file}");
            assert!(plan.updates.is_empty(), "{file}");
        }
        let plan = plan(
            &batch(&[("gone.js", ChangeKind::Removed)]),
            &mut served_site(),
            1,
        );
        assert_eq!(plan.reload, Reload::Nothing);
    }

    #[test]
    fn a_server_file_re_renders_exactly_the_routes_whose_render_read_it() {
        let home = "/".to_string();
        let about = "/about".to_string();
        for (file, expected) in [
            ("layouts/base.html", vec![home.clone(), about.clone()]),
            ("partials/nav.html", vec![home.clone()]),
            ("index.html", vec![home.clone()]),
            ("content/a.md", vec![home.clone()]),
            ("pages/about.html", vec![about.clone()]),
            ("partials/unused.html", vec![]),
            ("data/unused.json", vec![]),
        ] {
            let plan = plan(&modified(file), &mut served_site(), 1);
            assert_eq!(plan.rerender, expected, "{file}");
            assert_eq!(plan.reload, Reload::Nothing, "{file}");
            assert!(plan.updates.is_empty() && plan.assets.is_empty(), "{file}");
            assert!(!plan.pages_changed, "{file}");
        }
    }

    #[test]
    fn a_file_both_environments_use_gets_both_updates() {
        let plan = plan(&modified("public/logo.svg"), &mut served_site(), 1);
        assert_eq!(plan.rerender, vec!["/".to_string()]);
        assert_eq!(plan.assets, vec!["/logo.svg"]);
    }

    #[test]
    fn a_route_that_reloads_is_not_re_rendered() {
        // The page behind `/` is gone in the same batch, so `/` reloads.
        let plan = plan(
            &batch(&[
                ("partials/nav.html", ChangeKind::Modified),
                ("index.html", ChangeKind::Removed),
            ]),
            &mut served_site(),
            1,
        );
        assert!(plan.reload.covers("/"));
        assert!(plan.rerender.is_empty(), "{:?}", plan.rerender);
    }

    #[test]
    fn adding_or_removing_a_page_marks_cached_renders_stale() {
        let added = plan(&modified("pages/new.html"), &mut served_site(), 1);
        assert!(added.pages_changed);
        assert!(added.rerender.is_empty() && added.reload == Reload::Nothing);
        let mut graph = served_site();
        let removed = plan(
            &batch(&[("pages/about.html", ChangeKind::Removed)]),
            &mut graph,
            1,
        );
        assert!(removed.pages_changed);
        assert_eq!(
            removed.reload,
            Reload::Routes(["/about".to_string()].into())
        );
        assert_eq!(removed.removed_routes, vec!["/about".to_string()]);
        assert_eq!(graph.page_of("/about"), None, "the route is forgotten");
    }

    #[test]
    fn a_removed_page_reloads_the_routes_it_answered() {
        let plan = plan(
            &batch(&[("index.html", ChangeKind::Removed)]),
            &mut served_site(),
            1,
        );
        assert_eq!(plan.reload, Reload::Routes(["/".to_string()].into()));
    }

    #[test]
    fn a_rescan_reloads_everything() {
        let plan = plan(
            &ChangeBatch {
                changes: vec![],
                rescan: true,
                ..Default::default()
            },
            &mut served_site(),
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
