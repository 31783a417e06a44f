//! The graph stage: what depends on what, learnt from what was actually served.
//!
//! The *client* environment holds what the browser loads. Its entries are HTML documents (a
//! rendered page template or a static `.html` file), each shown at one or more routes (URL
//! paths); their imports are the stylesheets they link. Edges are recorded by the serve stage
//! every time it answers an HTML request, and an entry's edges are replaced when it is served
//! again. A node that nothing imports any more is pruned.
//!
//! Later stages of the design add JS imports, CSS `@import` and the *server* environment
//! (layouts, partials, content) to the same structure.

use crate::base::{Role, SitePath};
use std::collections::{BTreeMap, BTreeSet};

/// One file in the client environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    /// The URL path the browser requests it by (for an HTML entry, empty: see the routes).
    pub url: String,
    pub imports: BTreeSet<SitePath>,
    pub importers: BTreeSet<SitePath>,
}

#[derive(Debug, Default)]
pub struct Graph {
    /// URL path of every HTML response served → the entry file behind it.
    routes: BTreeMap<String, SitePath>,
    client: BTreeMap<SitePath, Node>,
}

/// A dependency found in a served document: the file, and the URL it was requested by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub file: SitePath,
    pub url: String,
}

impl Graph {
    pub fn new() -> Graph {
        Graph::default()
    }

    /// Records that `route` was answered by the HTML `entry`, which imports `imports`. The
    /// entry's previous imports are replaced; nodes left without importers are pruned.
    pub fn record_document(&mut self, route: &str, entry: &SitePath, imports: Vec<Import>) {
        self.routes.insert(route.to_string(), entry.clone());
        let new: BTreeSet<SitePath> = imports.iter().map(|i| i.file.clone()).collect();
        let old = self
            .client
            .get(entry)
            .map(|n| n.imports.clone())
            .unwrap_or_default();
        for gone in old.difference(&new) {
            if let Some(node) = self.client.get_mut(gone) {
                node.importers.remove(entry);
            }
            self.prune(gone);
        }
        for import in imports {
            let node = self.client.entry(import.file.clone()).or_default();
            node.url = import.url;
            node.importers.insert(entry.clone());
        }
        self.client.entry(entry.clone()).or_default().imports = new;
    }

    /// Forgets a route (it no longer answers with a document).
    pub fn forget_route(&mut self, route: &str) {
        self.routes.remove(route);
    }

    /// The routes currently answered by `entry`.
    pub fn routes_showing(&self, entry: &SitePath) -> Vec<String> {
        self.routes
            .iter()
            .filter(|(_, e)| *e == entry)
            .map(|(route, _)| route.clone())
            .collect()
    }

    /// Every route whose document is rendered from a template, with its page template.
    pub fn rendered_routes(&self) -> Vec<(String, SitePath)> {
        self.routes
            .iter()
            .filter(|(_, entry)| entry.role() == Role::Page)
            .map(|(route, entry)| (route.clone(), entry.clone()))
            .collect()
    }

    /// If a served document links `file` as a stylesheet, the URL it links it by.
    pub fn linked_stylesheet(&self, file: &SitePath) -> Option<&str> {
        let node = self.client.get(file)?;
        let linked = node.importers.iter().any(|i| self.is_entry(i));
        (linked && file.extension() == "css").then_some(node.url.as_str())
    }

    /// Whether `file` is an HTML entry or something a served document loads.
    pub fn contains(&self, file: &SitePath) -> bool {
        self.client.contains_key(file) || self.is_entry(file)
    }

    pub fn node(&self, file: &SitePath) -> Option<&Node> {
        self.client.get(file)
    }

    fn is_entry(&self, file: &SitePath) -> bool {
        self.routes.values().any(|e| e == file)
    }

    fn prune(&mut self, file: &SitePath) {
        let orphan = self
            .client
            .get(file)
            .is_some_and(|n| n.importers.is_empty() && n.imports.is_empty());
        if orphan && !self.is_entry(file) {
            self.client.remove(file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn css(file: &str) -> Import {
        Import {
            file: SitePath::new(file),
            url: SitePath::new(file).url(),
        }
    }

    #[test]
    fn a_served_page_links_its_stylesheets() {
        let mut graph = Graph::new();
        let page = SitePath::new("pages/about.html");
        graph.record_document("/about", &page, vec![css("main.css")]);
        assert_eq!(
            graph.linked_stylesheet(&SitePath::new("main.css")),
            Some("/main.css")
        );
        assert_eq!(graph.routes_showing(&page), vec!["/about".to_string()]);
        assert_eq!(
            graph.rendered_routes(),
            vec![("/about".to_string(), page.clone())]
        );
        assert!(graph.contains(&page));
        assert!(!graph.contains(&SitePath::new("other.css")));
    }

    #[test]
    fn serving_again_replaces_edges_and_prunes_orphans() {
        let mut graph = Graph::new();
        let page = SitePath::new("docs/index.html");
        graph.record_document("/docs/", &page, vec![css("a.css"), css("b.css")]);
        graph.record_document("/docs/", &page, vec![css("b.css")]);
        assert!(graph.node(&SitePath::new("a.css")).is_none());
        assert!(graph.linked_stylesheet(&SitePath::new("b.css")).is_some());
        // Static HTML is an entry but not a rendered route.
        assert!(graph.rendered_routes().is_empty());
    }

    #[test]
    fn a_stylesheet_shared_by_two_pages_survives_one_dropping_it() {
        let mut graph = Graph::new();
        let (a, b) = (SitePath::new("pages/a.html"), SitePath::new("pages/b.html"));
        graph.record_document("/a", &a, vec![css("main.css")]);
        graph.record_document("/b", &b, vec![css("main.css")]);
        graph.record_document("/a", &a, vec![]);
        let node = graph.node(&SitePath::new("main.css")).unwrap();
        assert_eq!(node.importers.iter().collect::<Vec<_>>(), vec![&b]);
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
}
