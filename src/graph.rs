//! The graph stage: what depends on what, learnt from what was actually served.
//!
//! The *client* environment holds what the browser loads, one [`Node`] per file:
//! - HTML documents (a rendered page template or a static `.html` file), each shown at one or
//!   more routes (URL paths). Their imports are the scripts, stylesheets and images they name.
//! - Scripts (ES modules), whose imports are their `import`s, `export … from`s, literal
//!   `import()`s and `new URL(…, import.meta.url)`s, and which record what their
//!   `import.meta.hot.accept(…)` calls accept.
//! - Stylesheets, whose imports are their `@import`s and `url()`s.
//! - Anything else served (images, fonts, data): an asset.
//!
//! The serve stage records a file's edges every time it answers for it, replacing the old
//! ones. A file that loses its last importer is pruned, and so, in turn, are the files only it
//! imported. A file that names a URL no file answers waits for it: when that file appears, the
//! files waiting are what changed. Each node also carries the timestamp of the last hot update that made it stale,
//! so that files served afterwards name it with `?t=` (see [`crate::rewrite`]).
//!
//! The *server* environment holds what each rendered route's last render read ([`Reads`]):
//! its page, layouts, partials and macro files, and the content and data files and folders it
//! asked for. [`Graph::routes_reading`] answers which routes a changed file affects, and
//! [`Graph::name_routes`] names them for the `html` message: every known route of a dynamic
//! page by its pattern (`/blog/:slug`), others one by one.

use crate::base::{Reads, Role, SitePath};
use crate::modules::glob::Globs;
use std::collections::{BTreeMap, BTreeSet};

/// One file in the client environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    /// The URL path the browser requests it by (for an HTML entry, empty: see the routes).
    pub url: String,
    pub imports: BTreeSet<SitePath>,
    pub importers: BTreeSet<SitePath>,
    /// What the module's `import.meta.hot.accept(…)` calls accept (scripts only).
    pub accepts: Accepts,
    /// When the last hot update made this file stale (milliseconds); 0 if it never did.
    pub timestamp: u64,
    /// Whether this is an HTML document shown at some route.
    document: bool,
    /// URL paths it names that no file answered when it was served.
    missing: BTreeSet<String>,
    /// Whether a page imports it itself, by a cache-busting `?t=` URL and with no importer
    /// hotplate knows: the raw change feed's container pattern. Its changes are left to that
    /// page.
    pub page_managed: bool,
    /// The timestamp of the hot update whose module invalidated itself last (see
    /// [`Graph::invalidated`]).
    invalidated: u64,
}

/// What a module accepts, resolved to files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accepts {
    /// The module replaces itself (`accept()`, `accept(cb)`).
    pub itself: bool,
    /// Dependencies whose updates it handles (`accept(dep, cb)`, `accept([deps], cb)`).
    pub deps: BTreeSet<SitePath>,
}

pub use crate::base::{Import, Kind};

/// A fact the HTTP side learnt while answering, for the pipeline to write into the graph
/// ([`Graph::apply`]). The pipeline is the graph's only writer: requests only read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// `route` was answered by the HTML `entry`, which loads `imports` and names `missing`.
    Document {
        route: String,
        entry: SitePath,
        imports: Vec<Import>,
        missing: BTreeSet<String>,
    },
    /// The script or stylesheet `file` was served at `url`.
    Module {
        file: SitePath,
        url: String,
        imports: Vec<Import>,
        accepts: Accepts,
        missing: BTreeSet<String>,
        /// Its `import.meta.glob` patterns, relative to the root (see [`Graph::globbing`]).
        globs: Vec<String>,
        /// Requested with a `?t=` query (see [`Graph::record_cache_busted`]).
        cache_busted: bool,
    },
    /// What the last render of `route` read.
    Render { route: String, reads: Reads },
    /// `file` was served at `url`, whoever asked for it.
    Served { file: SitePath, url: String },
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// URL path of every HTML response served → the entry file behind it.
    routes: BTreeMap<String, SitePath>,
    client: BTreeMap<SitePath, Node>,
    /// URL path no file answered → the files that named it: when the file appears, they are
    /// what changed.
    waiting: BTreeMap<String, BTreeSet<SitePath>>,
    /// The server environment: rendered route → what its last render read.
    rendered: BTreeMap<String, Reads>,
    /// A file or folder → the routes whose last render read (or listed) it.
    readers: BTreeMap<SitePath, BTreeSet<String>>,
    /// Modules that call `import.meta.glob` → their patterns: a file that appears or goes and
    /// matches one changes what the module imports.
    globbing: BTreeMap<SitePath, Globs>,
    /// Files pruned or deleted while browsers held an instance of them. The browser keeps that
    /// instance under its plain URL, so when one is imported again it is named with the fresh
    /// timestamp (`?t=`) chosen when it was retired, and runs again, as in Vite.
    retired: BTreeMap<SitePath, u64>,
    /// The newest timestamp given out, so a fresh one is always newer.
    newest: u64,
}

impl Graph {
    pub fn new() -> Graph {
        Graph::default()
    }

    /// Writes what a request learnt. Returns the URL paths of the modules a served module no
    /// longer imports, pruned (a document's own dropped imports are not: other tabs may still
    /// show its old version, and a reload starts every module afresh anyway).
    pub fn apply(&mut self, record: Record) -> Vec<String> {
        match record {
            Record::Document {
                route,
                entry,
                imports,
                missing,
            } => {
                if entry.role() != Role::Page && !entry.is_document_at() {
                    // A static document reads nothing on the server (the route may have been
                    // a page). What an app's render read came in its own record.
                    self.record_render(&route, Reads::default());
                }
                self.record_document(&route, &entry, imports);
                self.record_missing(&entry, missing);
                Vec::new()
            }
            Record::Module {
                file,
                url,
                imports,
                accepts,
                missing,
                globs,
                cache_busted,
            } => {
                let pruned = self.record_module(&file, &url, imports, accepts);
                self.record_missing(&file, missing);
                match Globs::new(&globs) {
                    Some(globs) => {
                        self.globbing.insert(file.clone(), globs);
                    }
                    None => {
                        self.globbing.remove(&file);
                    }
                }
                if cache_busted {
                    self.record_cache_busted(&file);
                }
                pruned
            }
            Record::Render { route, reads } => {
                self.record_render(&route, reads);
                Vec::new()
            }
            Record::Served { file, url } => {
                self.record_served(&file, &url);
                Vec::new()
            }
        }
    }

    /// Records that `route` was answered by the HTML `entry`, which imports `imports`. The
    /// entry's previous imports are replaced, and nodes left without importers are pruned.
    /// Returns what was pruned, as URL paths.
    pub fn record_document(
        &mut self,
        route: &str,
        entry: &SitePath,
        imports: Vec<Import>,
    ) -> Vec<String> {
        self.routes.insert(route.to_string(), entry.clone());
        self.node_entry(entry).document = true;
        self.set_imports(entry, imports)
    }

    /// Records that the script or stylesheet `file` was served at `url`, importing `imports`
    /// and accepting `accepts`. Returns what was pruned, as URL paths.
    pub fn record_module(
        &mut self,
        file: &SitePath,
        url: &str,
        imports: Vec<Import>,
        accepts: Accepts,
    ) -> Vec<String> {
        let node = self.node_entry(file);
        node.url = url.to_string();
        node.accepts = accepts;
        self.set_imports(file, imports)
    }

    /// Records that `file` was served at `url`, whoever asked for it.
    pub fn record_served(&mut self, file: &SitePath, url: &str) {
        let node = self.node_entry(file);
        if node.url.is_empty() && !node.document {
            node.url = url.to_string();
        }
    }

    /// Records the URL paths `file` named that no file answered when it was served, replacing
    /// those of its last serve.
    pub fn record_missing(&mut self, file: &SitePath, urls: BTreeSet<String>) {
        let Some(node) = self.client.get_mut(file) else {
            return;
        };
        let old = std::mem::replace(&mut node.missing, urls.clone());
        self.stop_waiting(file, &old);
        for url in urls {
            self.waiting.entry(url).or_default().insert(file.clone());
        }
    }

    /// The URL paths files named that no file of the watched folders answers (for a backend:
    /// what it serves itself).
    pub fn missing_urls(&self) -> impl Iterator<Item = &str> {
        self.waiting.keys().map(String::as_str)
    }

    /// The files that named `url` when no file answered it.
    pub fn waiting_for(&self, url: &str) -> Vec<SitePath> {
        self.waiting
            .get(url)
            .map(|files| files.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The files that named the new file `file` before it existed: by its URL, or as a
    /// resolver finds it, without its extension (`./util` for `util.ts`) or by its folder
    /// (`./lib` for `lib/index.ts`).
    pub fn waiting_for_file(&self, file: &SitePath) -> Vec<SitePath> {
        let url = file.url();
        let mut names = vec![url.clone()];
        if let Some((stem, _)) = url.rsplit_once('.')
            && !stem.ends_with('/')
        {
            names.push(stem.to_string());
            if let Some(folder) = stem.strip_suffix("/index") {
                names.push(folder.to_string());
                names.push(format!("{folder}/"));
            }
        }
        let mut waiting: BTreeSet<SitePath> = BTreeSet::new();
        for name in names {
            waiting.extend(self.waiting_for(&name));
        }
        waiting.into_iter().collect()
    }

    /// The modules whose `import.meta.glob` patterns match `file`.
    pub fn globbing(&self, file: &SitePath) -> Vec<SitePath> {
        self.globbing
            .iter()
            .filter(|(_, globs)| globs.matches(file.as_str()))
            .map(|(module, _)| module.clone())
            .collect()
    }

    /// Marks `file`, served with a `?t=` query, as imported by a page itself when nothing
    /// known imports it (see [`Node::page_managed`]).
    pub fn record_cache_busted(&mut self, file: &SitePath) {
        if let Some(node) = self.client.get_mut(file) {
            node.page_managed = node.importers.is_empty();
        }
    }

    /// Forgets `file` (it was deleted) and prunes what only it imported. Returns the URL
    /// paths of everything pruned, the file's own first.
    pub fn remove(&mut self, file: &SitePath) -> Vec<String> {
        let Some(node) = self.client.remove(file) else {
            return Vec::new();
        };
        self.retire(file);
        self.stop_waiting(file, &node.missing);
        self.globbing.remove(file);
        for importer in &node.importers {
            if let Some(importer) = self.client.get_mut(importer) {
                importer.imports.remove(file);
            }
        }
        let mut pruned = vec![node.url.clone()];
        for import in node.imports {
            self.lose_importer(&import, file, &mut pruned);
        }
        pruned.retain(|url| !url.is_empty());
        pruned
    }

    /// Marks `file` as made stale by the hot update at `timestamp`.
    pub fn stamp(&mut self, file: &SitePath, timestamp: u64) {
        self.newest = self.newest.max(timestamp);
        if let Some(node) = self.client.get_mut(file) {
            node.timestamp = timestamp;
        }
    }

    /// Marks `file` as gone from the browser's module graph, with the timestamp its next
    /// version will be named by: the browser's old instance must not be handed back. The
    /// timestamp is chosen now, so a module served before the pipeline records it already
    /// names the file with it ([`Graph::timestamp`]).
    fn retire(&mut self, file: &SitePath) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        self.newest = now.max(self.newest + 1);
        self.retired.insert(file.clone(), self.newest);
    }

    /// Notes that `file`, which files named before it existed, appeared in the update
    /// `timestamp`: they name it with `?t=` from now on. A browser keeps a failed import of
    /// the plain URL, and would not ask it again.
    pub fn appeared(&mut self, file: &SitePath, timestamp: u64) {
        if !self.client.contains_key(file) {
            self.newest = self.newest.max(timestamp);
            self.retired.insert(file.clone(), timestamp);
        }
    }

    /// The node of `file`, made if need be; a retired file's comes back with its fresh
    /// timestamp.
    fn node_entry(&mut self, file: &SitePath) -> &mut Node {
        if !self.client.contains_key(file)
            && let Some(timestamp) = self.retired.remove(file)
        {
            let fresh = Node {
                timestamp,
                ..Node::default()
            };
            self.client.insert(file.clone(), fresh);
        }
        self.client.entry(file.clone()).or_default()
    }

    /// Whether `file` already invalidated the version its last hot update brought: every
    /// tab that applied the update asks, and only the first counts.
    pub fn invalidated(&self, file: &SitePath) -> bool {
        self.client
            .get(file)
            .is_none_or(|node| node.invalidated == node.timestamp)
    }

    /// Notes that `file` invalidated the version its last hot update brought.
    pub fn note_invalidated(&mut self, file: &SitePath) {
        if let Some(node) = self.client.get_mut(file) {
            node.invalidated = node.timestamp;
        }
    }

    /// The timestamp of the last hot update that made `file` stale; 0 if none did.
    pub fn timestamp(&self, file: &SitePath) -> u64 {
        match self.client.get(file) {
            Some(node) => node.timestamp,
            None => self.retired.get(file).copied().unwrap_or(0),
        }
    }

    /// What part `file` plays: an HTML entry (which may be no file at all), or else what its
    /// name says ([`SitePath::kind`]).
    pub fn kind(&self, file: &SitePath) -> Kind {
        if self.client.get(file).is_some_and(|n| n.document) {
            return Kind::Document;
        }
        file.kind()
    }

    /// The modules the scripts of document `entry` imported when last served, below the ones
    /// the document names itself, breadth first, at most `limit`: each as the URL its
    /// importers name it by now (with `?t=` when a hot update made it stale).
    pub fn preloads(&self, entry: &SitePath, limit: usize) -> Vec<String> {
        let Some(document) = self.client.get(entry) else {
            return Vec::new();
        };
        let mut seen: BTreeSet<&SitePath> = document.imports.iter().collect();
        let mut queue: std::collections::VecDeque<&SitePath> = document
            .imports
            .iter()
            .filter(|f| self.kind(f) == Kind::Script)
            .collect();
        let mut urls = Vec::new();
        while let Some(file) = queue.pop_front() {
            let Some(node) = self.client.get(file) else {
                continue;
            };
            for import in &node.imports {
                if urls.len() == limit {
                    return urls;
                }
                if self.kind(import) != Kind::Script || !seen.insert(import) {
                    continue;
                }
                let Some(imported) = self.client.get(import) else {
                    continue;
                };
                urls.push(match imported.timestamp {
                    0 => imported.url.clone(),
                    t => crate::base::with_timestamp(&imported.url, t),
                });
                queue.push_back(import);
            }
        }
        urls
    }

    /// Forgets a route (it no longer answers with a document).
    pub fn forget_route(&mut self, route: &str) {
        self.routes.remove(route);
        self.record_render(route, Reads::default());
    }

    /// Records what the last render of `route` read, replacing what the one before read. A
    /// route answered by a static file records empty reads.
    pub fn record_render(&mut self, route: &str, reads: Reads) {
        let old = self.rendered.remove(route).unwrap_or_default();
        for read in old.files.iter().chain(&old.folders) {
            if let Some(routes) = self.readers.get_mut(read) {
                routes.remove(route);
                if routes.is_empty() {
                    self.readers.remove(read);
                }
            }
        }
        if reads == Reads::default() {
            return;
        }
        for read in reads.files.iter().chain(&reads.folders) {
            self.readers
                .entry(read.clone())
                .or_default()
                .insert(route.to_string());
        }
        self.rendered.insert(route.to_string(), reads);
    }

    /// The routes whose last render read `file`, or listed a folder it is in.
    pub fn routes_reading(&self, file: &SitePath) -> BTreeSet<String> {
        let mut routes = BTreeSet::new();
        let mut path = file.as_str();
        loop {
            if let Some(readers) = self.readers.get(&SitePath::new(path)) {
                routes.extend(readers.iter().cloned());
            }
            match path.rsplit_once('/') {
                Some((folder, _)) => path = folder,
                None => break,
            }
        }
        routes
    }

    /// The page template that last answered `route`.
    pub fn page_of(&self, route: &str) -> Option<&SitePath> {
        self.routes
            .get(route)
            .filter(|entry| entry.role() == Role::Page)
    }

    /// How the `html` message names `routes`: a dynamic page whose every known route is among
    /// them by its pattern (`/blog/:slug`), every other route as it is.
    pub fn name_routes(&self, routes: &BTreeSet<String>) -> Vec<String> {
        let mut names = BTreeSet::new();
        for route in routes {
            let pattern = self.routes.get(route).and_then(|page| {
                let pattern = page.route_pattern()?;
                let all = self.routes_showing(page).iter().all(|r| routes.contains(r));
                all.then_some(pattern)
            });
            names.insert(pattern.unwrap_or_else(|| route.clone()));
        }
        names.into_iter().collect()
    }

    /// Every route answered with a document so far.
    pub fn document_routes(&self) -> BTreeSet<String> {
        self.routes.keys().cloned().collect()
    }

    /// The routes currently answered by `entry`.
    pub fn routes_showing(&self, entry: &SitePath) -> Vec<String> {
        self.routes
            .iter()
            .filter(|(_, e)| *e == entry)
            .map(|(route, _)| route.clone())
            .collect()
    }

    /// Whether `file` was served, or is named by something served.
    pub fn contains(&self, file: &SitePath) -> bool {
        self.client.contains_key(file)
    }

    pub fn node(&self, file: &SitePath) -> Option<&Node> {
        self.client.get(file)
    }

    /// Replaces the imports of `file`; returns the URL paths of the nodes pruned.
    fn set_imports(&mut self, file: &SitePath, imports: Vec<Import>) -> Vec<String> {
        let new: BTreeSet<SitePath> = imports.iter().map(|i| i.file.clone()).collect();
        for import in imports {
            if import.file == *file {
                continue;
            }
            let node = self.node_entry(&import.file);
            if !node.document {
                node.url = import.url;
            }
            node.importers.insert(file.clone());
        }
        let node = self.node_entry(file);
        let old = std::mem::replace(&mut node.imports, new.clone());
        let mut pruned = Vec::new();
        for gone in old.difference(&new) {
            self.lose_importer(gone, file, &mut pruned);
        }
        pruned
    }

    /// `file` no longer imports `import`. An import that nothing loaded from a root (a document,
    /// or a file requested directly) imports any more is pruned, and so, in turn, are its own
    /// imports. A cycle of files importing each other does not keep itself alive.
    fn lose_importer(&mut self, import: &SitePath, file: &SitePath, pruned: &mut Vec<String>) {
        let Some(node) = self.client.get_mut(import) else {
            return;
        };
        node.importers.remove(file);
        if node.document || (!node.importers.is_empty() && self.reaches_root(import)) {
            return;
        }
        let node = self.client.remove(import).expect("present");
        self.retire(import);
        self.stop_waiting(import, &node.missing);
        pruned.push(node.url);
        for next in node.imports {
            self.lose_importer(&next, import, pruned);
        }
    }

    fn stop_waiting(&mut self, file: &SitePath, urls: &BTreeSet<String>) {
        for url in urls {
            if let Some(files) = self.waiting.get_mut(url) {
                files.remove(file);
                if files.is_empty() {
                    self.waiting.remove(url);
                }
            }
        }
    }

    /// Whether some chain of importers leads from `file` up to a document or to a file nothing
    /// imports (one requested directly).
    fn reaches_root(&self, file: &SitePath) -> bool {
        let mut seen = BTreeSet::from([file.clone()]);
        let mut todo = vec![file.clone()];
        while let Some(next) = todo.pop() {
            let Some(node) = self.client.get(&next) else {
                continue;
            };
            if node.document || (node.importers.is_empty() && next != *file) {
                return true;
            }
            for importer in &node.importers {
                if seen.insert(importer.clone()) {
                    todo.push(importer.clone());
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(file: &str) -> Import {
        Import {
            file: SitePath::new(file),
            url: SitePath::new(file).url(),
        }
    }

    fn imports(files: &[&str]) -> Vec<Import> {
        files.iter().map(|f| import(f)).collect()
    }

    fn importers(graph: &Graph, file: &str) -> Vec<String> {
        let node = graph.node(&SitePath::new(file)).expect(file);
        node.importers.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn a_served_page_imports_what_it_names() {
        let mut graph = Graph::new();
        let page = SitePath::new("pages/about.html");
        graph.record_document("/about", &page, imports(&["main.css", "public/logo.svg"]));
        assert_eq!(importers(&graph, "main.css"), vec!["pages/about.html"]);
        assert_eq!(
            graph.node(&SitePath::new("public/logo.svg")).unwrap().url,
            "/logo.svg"
        );
        assert_eq!(graph.routes_showing(&page), vec!["/about".to_string()]);
        assert_eq!(graph.page_of("/about"), Some(&page));
        assert!(graph.contains(&page));
        assert!(!graph.contains(&SitePath::new("other.css")));
    }

    #[test]
    fn kinds_follow_the_document_flag_then_the_extension() {
        let mut graph = Graph::new();
        graph.record_document("/docs/", &SitePath::new("docs/index.html"), vec![]);
        let kind = |f: &str| graph.kind(&SitePath::new(f));
        assert_eq!(kind("docs/index.html"), Kind::Document);
        assert_eq!(kind("app.js"), Kind::Script);
        assert_eq!(kind("lib/x.mjs"), Kind::Script);
        assert_eq!(kind("main.css"), Kind::Style);
        assert_eq!(kind("public/logo.svg"), Kind::Asset);
    }

    #[test]
    fn serving_again_replaces_edges_and_prunes_orphans() {
        let mut graph = Graph::new();
        let page = SitePath::new("docs/index.html");
        graph.record_document("/docs/", &page, imports(&["a.css", "b.css"]));
        let pruned = graph.record_document("/docs/", &page, imports(&["b.css"]));
        assert_eq!(pruned, vec!["/a.css"]);
        assert!(graph.node(&SitePath::new("a.css")).is_none());
        assert!(graph.contains(&SitePath::new("b.css")));
        // Static HTML is an entry but not a rendered page.
        assert_eq!(graph.page_of("/docs/"), None);
    }

    #[test]
    fn a_file_shared_by_two_importers_survives_one_dropping_it() {
        let mut graph = Graph::new();
        let (a, b) = (SitePath::new("pages/a.html"), SitePath::new("pages/b.html"));
        graph.record_document("/a", &a, imports(&["main.css"]));
        graph.record_document("/b", &b, imports(&["main.css"]));
        assert!(graph.record_document("/a", &a, vec![]).is_empty());
        assert_eq!(importers(&graph, "main.css"), vec!["pages/b.html"]);
    }

    #[test]
    fn pruning_cascades_through_what_only_the_pruned_file_imported() {
        let mut graph = Graph::new();
        let page = SitePath::new("index.html");
        graph.record_document("/", &page, imports(&["main.js"]));
        graph.record_module(
            &SitePath::new("main.js"),
            "/main.js",
            imports(&["a.js", "shared.js"]),
            Accepts::default(),
        );
        graph.record_module(
            &SitePath::new("a.js"),
            "/a.js",
            imports(&["deep.js", "shared.js"]),
            Accepts::default(),
        );
        // A cycle back into a.js must not keep it alive, nor loop.
        graph.record_module(
            &SitePath::new("deep.js"),
            "/deep.js",
            imports(&["a.js"]),
            Accepts::default(),
        );
        let pruned = graph.record_module(
            &SitePath::new("main.js"),
            "/main.js",
            imports(&["shared.js"]),
            Accepts::default(),
        );
        assert_eq!(pruned, vec!["/a.js", "/deep.js"]);
        assert_eq!(importers(&graph, "shared.js"), vec!["main.js"]);
    }

    #[test]
    fn a_removed_file_is_pruned_with_what_only_it_imported() {
        let mut graph = Graph::new();
        graph.record_document("/", &SitePath::new("index.html"), imports(&["main.js"]));
        graph.record_module(
            &SitePath::new("main.js"),
            "/main.js",
            imports(&["util.js"]),
            Accepts::default(),
        );
        assert_eq!(
            graph.remove(&SitePath::new("main.js")),
            vec!["/main.js", "/util.js"]
        );
        let page = graph.node(&SitePath::new("index.html")).unwrap();
        assert!(page.imports.is_empty());
        assert!(graph.remove(&SitePath::new("never-served.js")).is_empty());
    }

    #[test]
    fn a_document_preloads_what_its_scripts_imported_breadth_first() {
        let mut graph = Graph::new();
        let page = SitePath::new("index.html");
        graph.record_document("/", &page, imports(&["main.js", "main.css"]));
        let module = |graph: &mut Graph, file: &str, deps: &[&str]| {
            let file = SitePath::new(file);
            graph.record_module(&file, &file.url(), imports(deps), Accepts::default())
        };
        module(&mut graph, "main.js", &["a.js", "b.js", "logo.png"]);
        module(&mut graph, "a.js", &["deep.js", "b.js"]);
        module(&mut graph, "deep.js", &["main.js"]);
        graph.stamp(&SitePath::new("b.js"), 7);
        assert_eq!(
            graph.preloads(&page, 10),
            vec!["/a.js", "/b.js?t=7", "/deep.js"],
            "not the document's own main.js, not images, each once"
        );
        assert_eq!(graph.preloads(&page, 2), vec!["/a.js", "/b.js?t=7"]);
        assert!(graph.preloads(&SitePath::new("other.html"), 10).is_empty());
    }

    #[test]
    fn a_new_file_is_found_by_the_names_a_resolver_knows_it_by() {
        let mut graph = Graph::new();
        let main = SitePath::new("src/main.ts");
        graph.record_module(&main, "/src/main.ts", Vec::new(), Accepts::default());
        graph.record_missing(
            &main,
            ["/src/util".to_string(), "/src/lib".to_string()].into(),
        );
        assert_eq!(
            graph.waiting_for_file(&SitePath::new("src/util.ts")),
            vec![main.clone()]
        );
        assert_eq!(
            graph.waiting_for_file(&SitePath::new("src/lib/index.tsx")),
            vec![main.clone()]
        );
        assert!(
            graph
                .waiting_for_file(&SitePath::new("src/other.ts"))
                .is_empty()
        );
    }

    #[test]
    fn files_that_named_a_missing_url_wait_for_it() {
        let mut graph = Graph::new();
        let main = SitePath::new("main.js");
        graph.record_module(&main, "/main.js", vec![], Accepts::default());
        graph.record_missing(&main, ["/new.js".to_string()].into());
        assert_eq!(graph.waiting_for("/new.js"), vec![main.clone()]);
        graph.record_missing(&main, BTreeSet::new());
        assert!(graph.waiting_for("/new.js").is_empty());
        graph.record_missing(&main, ["/new.js".to_string()].into());
        graph.remove(&main);
        assert!(
            graph.waiting_for("/new.js").is_empty(),
            "a removed file waits no more"
        );
    }

    #[test]
    fn stamps_mark_stale_files() {
        let mut graph = Graph::new();
        graph.record_served(&SitePath::new("a.js"), "/a.js");
        assert_eq!(graph.timestamp(&SitePath::new("a.js")), 0);
        graph.stamp(&SitePath::new("a.js"), 77);
        assert_eq!(graph.timestamp(&SitePath::new("a.js")), 77);
        assert_eq!(graph.timestamp(&SitePath::new("b.js")), 0);
    }

    #[test]
    fn one_entry_may_answer_several_routes() {
        let mut graph = Graph::new();
        let page = SitePath::new("pages/blog/[slug].html");
        graph.record_document("/blog/one", &page, vec![]);
        graph.record_document("/blog/two", &page, vec![]);
        assert_eq!(graph.routes_showing(&page), vec!["/blog/one", "/blog/two"]);
        graph.forget_route("/blog/one");
        assert_eq!(graph.routes_showing(&page), vec!["/blog/two"]);
    }

    fn reads(files: &[&str], folders: &[&str]) -> Reads {
        Reads {
            files: files.iter().map(|f| SitePath::new(f)).collect(),
            folders: folders.iter().map(|f| SitePath::new(f)).collect(),
        }
    }

    fn set(routes: &[&str]) -> BTreeSet<String> {
        routes.iter().map(|r| r.to_string()).collect()
    }

    #[test]
    fn a_file_affects_exactly_the_routes_whose_last_render_read_it() {
        let mut graph = Graph::new();
        graph.record_render("/a", reads(&["pages/a.html", "partials/nav.html"], &[]));
        graph.record_render("/b", reads(&["pages/b.html"], &[]));
        assert_eq!(
            graph.routes_reading(&SitePath::new("partials/nav.html")),
            set(&["/a"])
        );
        assert!(
            graph
                .routes_reading(&SitePath::new("partials/x.html"))
                .is_empty()
        );
        // Rendered again without the partial: the edge is replaced.
        graph.record_render("/a", reads(&["pages/a.html"], &[]));
        assert!(
            graph
                .routes_reading(&SitePath::new("partials/nav.html"))
                .is_empty()
        );
        graph.forget_route("/b");
        assert!(
            graph
                .routes_reading(&SitePath::new("pages/b.html"))
                .is_empty()
        );
    }

    #[test]
    fn an_apps_document_keeps_what_its_render_read_and_a_static_one_reads_nothing() {
        let document = |route: &str, entry: SitePath| Record::Document {
            route: route.to_string(),
            entry,
            imports: Vec::new(),
            missing: BTreeSet::new(),
        };
        let mut graph = Graph::new();
        // An app's handler rendered `/` with `hotplate::Templates`: the reads come first, then
        // the document they made.
        graph.apply(Record::Render {
            route: "/".to_string(),
            reads: reads(&["templates/index.html"], &[]),
        });
        graph.apply(document("/", SitePath::document_at("/")));
        assert_eq!(
            graph.routes_reading(&SitePath::new("templates/index.html")),
            set(&["/"])
        );
        // The route is answered by a static file now: it reads nothing.
        graph.apply(document("/", SitePath::new("docs/static.html")));
        assert!(
            graph
                .routes_reading(&SitePath::new("templates/index.html"))
                .is_empty()
        );
    }

    #[test]
    fn a_listed_folder_is_affected_by_any_file_in_it() {
        let mut graph = Graph::new();
        graph.record_render(
            "/blog",
            reads(&["pages/blog/index.html"], &["content/blog"]),
        );
        for file in ["content/blog/new.md", "content/blog/2024/deep.md"] {
            assert_eq!(
                graph.routes_reading(&SitePath::new(file)),
                set(&["/blog"]),
                "{file}"
            );
        }
        assert!(
            graph
                .routes_reading(&SitePath::new("content/blogger.md"))
                .is_empty()
        );
    }

    #[test]
    fn every_known_route_of_a_dynamic_page_is_named_by_its_pattern() {
        let mut graph = Graph::new();
        let post = SitePath::new("pages/blog/[slug].html");
        graph.record_document("/blog/a", &post, vec![]);
        graph.record_document("/blog/b", &post, vec![]);
        graph.record_document("/about", &SitePath::new("pages/about.html"), vec![]);
        assert_eq!(
            graph.name_routes(&set(&["/blog/a", "/blog/b", "/about"])),
            ["/about", "/blog/:slug"]
        );
        // Only some of its routes: each by itself.
        assert_eq!(graph.name_routes(&set(&["/blog/a"])), ["/blog/a"]);
    }

    #[test]
    fn a_module_pruned_or_deleted_then_imported_again_gets_a_fresh_timestamp() {
        let mut graph = Graph::new();
        let (main, dep, gone) = (
            SitePath::new("main.js"),
            SitePath::new("dep.js"),
            SitePath::new("gone.js"),
        );
        graph.record_document("/", &SitePath::new("index.html"), imports(&["main.js"]));
        graph.record_module(
            &main,
            "/main.js",
            imports(&["dep.js", "gone.js"]),
            Accepts::default(),
        );
        assert_eq!(
            graph.timestamp(&dep),
            0,
            "a first import keeps the plain URL"
        );
        // dep.js is pruned, gone.js deleted.
        graph.record_module(&main, "/main.js", imports(&["gone.js"]), Accepts::default());
        assert!(!graph.contains(&dep));
        graph.remove(&gone);
        graph.stamp(&main, 10);
        graph.record_module(
            &main,
            "/main.js",
            imports(&["dep.js", "gone.js"]),
            Accepts::default(),
        );
        let (dep_stamp, gone_stamp) = (graph.timestamp(&dep), graph.timestamp(&gone));
        assert!(
            dep_stamp > 10 && gone_stamp > dep_stamp,
            "{dep_stamp} {gone_stamp}"
        );
        // Once back, it is an ordinary module again.
        graph.record_module(
            &main,
            "/main.js",
            imports(&["dep.js", "gone.js"]),
            Accepts::default(),
        );
        assert_eq!(graph.timestamp(&dep), dep_stamp);
    }
}
