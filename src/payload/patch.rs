//! A template save's patch: what changed between the HTML a route was last served as and its
//! new render, as the smallest subtrees the page's morph can be pointed at.
//!
//! Both documents are parsed with html5ever, the HTML standard's tree construction (what the
//! browser built from the first is what the diff starts from: implied `<tbody>`, closed `<p>`).
//! Every node gets a fingerprint over its tag, attributes and children, so equal subtrees are
//! passed over whole. Walking down from `<html>`:
//! - an element whose children have the same shape (the same tags, text and comments, in the
//!   same order) is descended into: its own attributes, if they changed, become an
//!   [`PatchOp::Attributes`], and each child element that differs is diffed in turn;
//! - any other element that differs becomes a [`PatchOp::Element`]: its new HTML, which the
//!   page morphs the live element into, with the morph's rules (live state wins unless the
//!   template changed that attribute, `data-hotplate-keep`);
//! - when more than half of an element's children changed (a partial every row of a list
//!   includes), the element itself is sent, one op instead of many.
//!
//! There is no patch (the pages fetch, as before) when the `<head>` changed beyond its title
//! (the head merge needs the runtime's tags, which the document gets on its way out), when
//! `<body>`'s children changed shape, when a changed subtree holds a script (an inline
//! module's imports are resolved on the way out), when the page nests deeper than
//! [`MAX_DEPTH`] or is bigger than [`MAX_PAGE`], or when the patch would be bigger than the
//! page or [`MAX_PATCH`].

use crate::base::PatchOp;
use html5ever::serialize::{SerializeOpts, TraversalScope, serialize};
use html5ever::tendril::TendrilSink;
use html5ever::{ParseOpts, parse_document};
use markup5ever_rcdom::{Handle, NodeData, RcDom, SerializableHandle};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// The most a patch may hold (the HTML of its elements): past it, the pages fetch.
pub const MAX_PATCH: usize = 256 * 1024;

/// The biggest page diffed: a bigger one is fetched (parsing both versions would cost more
/// than the fetch saves).
pub const MAX_PAGE: usize = 4 << 20;

/// The deepest element the diff looks at; a page nested deeper is fetched.
pub const MAX_DEPTH: usize = 256;

/// When more than this many of an element's children changed, and more than half of them, the
/// element is sent whole.
const MANY: usize = 16;

/// The ops that make the page `old` into `new`, or `None` when the pages should fetch `new`.
/// Two equal pages give no ops.
pub fn diff(old: &str, new: &str) -> Option<Vec<PatchOp>> {
    if old.len() > MAX_PAGE || new.len() > MAX_PAGE {
        return None;
    }
    let new_text = new;
    let old = Tree::parse(old)?;
    let new = Tree::parse(new)?;
    let mut diff = Diff {
        old: &old,
        new: &new,
        ops: Vec::new(),
        size: 0,
    };
    diff.document()?;
    (diff.size <= MAX_PATCH && diff.size <= new_text.len()).then_some(diff.ops)
}

/// A parsed document with a fingerprint for each node.
struct Tree {
    /// Held for as long as the tree is used: dropping the document empties every node under it
    /// (rcdom drops iteratively, not by reference count).
    _dom: RcDom,
    html: Handle,
    prints: HashMap<*const markup5ever_rcdom::Node, u64>,
}

impl Tree {
    fn parse(text: &str) -> Option<Tree> {
        let dom = parse_document(RcDom::default(), ParseOpts::default()).one(text);
        let html = dom
            .document
            .children
            .borrow()
            .iter()
            .find(|node| tag(node) == Some("html"))
            .cloned()?;
        let mut tree = Tree {
            _dom: dom,
            html: html.clone(),
            prints: HashMap::new(),
        };
        tree.print(&html, 0)?;
        Some(tree)
    }

    /// Fingerprints `node` and everything under it; `None` past [`MAX_DEPTH`].
    fn print(&mut self, node: &Handle, depth: usize) -> Option<u64> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        match &node.data {
            NodeData::Element {
                name,
                attrs,
                template_contents,
                ..
            } => {
                0u8.hash(&mut hasher);
                name.ns.hash(&mut hasher);
                name.local.hash(&mut hasher);
                for attribute in attrs.borrow().iter() {
                    attribute.name.local.hash(&mut hasher);
                    attribute.value.hash(&mut hasher);
                }
                if let Some(contents) = template_contents.borrow().as_ref() {
                    self.print(contents, depth + 1)?.hash(&mut hasher);
                }
            }
            NodeData::Text { contents } => {
                1u8.hash(&mut hasher);
                contents.borrow().hash(&mut hasher);
            }
            NodeData::Comment { contents } => {
                2u8.hash(&mut hasher);
                contents.hash(&mut hasher);
            }
            _ => 3u8.hash(&mut hasher),
        }
        for child in node.children.borrow().iter() {
            self.print(child, depth + 1)?.hash(&mut hasher);
        }
        let print = hasher.finish();
        self.prints.insert(std::rc::Rc::as_ptr(node), print);
        Some(print)
    }

    fn of(&self, node: &Handle) -> u64 {
        self.prints[&std::rc::Rc::as_ptr(node)]
    }
}

struct Diff<'t> {
    old: &'t Tree,
    new: &'t Tree,
    ops: Vec<PatchOp>,
    size: usize,
}

impl Diff<'_> {
    /// `<html>`'s attributes, the head's title, and the body, diffed.
    fn document(&mut self) -> Option<()> {
        let (old, new) = (&self.old.html, &self.new.html);
        if attributes(old) != attributes(new) {
            self.push(PatchOp::Attributes {
                path: Vec::new(),
                tags: Vec::new(),
                attributes: attributes(new),
            });
        }
        let (old_children, new_children) = (elements(old), elements(new));
        let [old_head, old_body] = old_children.as_slice() else {
            return None;
        };
        let [new_head, new_body] = new_children.as_slice() else {
            return None;
        };
        self.head(old_head, new_head)?;
        if self.old.of(old_body) == self.new.of(new_body) {
            return Some(());
        }
        if tag(old_body) != tag(new_body) || !same_shape(self.old, old_body, self.new, new_body) {
            return None;
        }
        let path = vec![1];
        let tags = vec![tag(new_body)?.to_string()];
        if attributes(old_body) != attributes(new_body) {
            self.push(PatchOp::Attributes {
                path: path.clone(),
                tags: tags.clone(),
                attributes: attributes(new_body),
            });
        }
        self.children(old_body, new_body, &path, &tags, None)
    }

    /// A head that changed only in its title's text gives a `Title` op; any other change, no
    /// patch.
    fn head(&mut self, old: &Handle, new: &Handle) -> Option<()> {
        if self.old.of(old) == self.new.of(new) {
            return Some(());
        }
        let (old_children, new_children) = (old.children.borrow(), new.children.borrow());
        if old_children.len() != new_children.len() || attributes(old) != attributes(new) {
            return None;
        }
        let mut title = None;
        for (old, new) in old_children.iter().zip(new_children.iter()) {
            if self.old.of(old) == self.new.of(new) {
                continue;
            }
            if tag(old) != Some("title") || tag(new) != Some("title") || title.is_some() {
                return None;
            }
            if attributes(old) != attributes(new) {
                return None;
            }
            title = Some(text_of(new));
        }
        if let Some(text) = title {
            self.push(PatchOp::Title { text });
        }
        Some(())
    }

    /// The element children of `old` and `new` (the same shape), diffed in order. With
    /// `whole` (the parent's own element siblings), the parent is sent whole instead when most
    /// of its children changed.
    fn children(
        &mut self,
        old: &Handle,
        new: &Handle,
        path: &[usize],
        tags: &[String],
        whole: Option<usize>,
    ) -> Option<()> {
        let pairs: Vec<(usize, Handle, Handle)> = elements(old)
            .into_iter()
            .zip(elements(new))
            .enumerate()
            .filter(|(_, (o, n))| self.old.of(o) != self.new.of(n))
            .map(|(index, (o, n))| (index, o, n))
            .collect();
        let siblings = elements(new).len();
        if let Some(own_siblings) = whole
            && pairs.len() > MANY
            && pairs.len() * 2 > siblings
        {
            return self.element(new, path, tags, own_siblings);
        }
        for (index, old, new) in pairs {
            let mut path = path.to_vec();
            path.push(index);
            let mut tags = tags.to_vec();
            tags.push(tag(&new)?.to_string());
            self.changed(&old, &new, &path, &tags, siblings)?;
        }
        Some(())
    }

    /// Two elements at the same place that differ.
    fn changed(
        &mut self,
        old: &Handle,
        new: &Handle,
        path: &[usize],
        tags: &[String],
        siblings: usize,
    ) -> Option<()> {
        let same_contents = {
            let (o, n) = (old.children.borrow(), new.children.borrow());
            o.len() == n.len()
                && o.iter()
                    .zip(n.iter())
                    .all(|(o, n)| self.old.of(o) == self.new.of(n))
                && template_print(self.old, old) == template_print(self.new, new)
        };
        if same_contents {
            self.push(PatchOp::Attributes {
                path: path.to_vec(),
                tags: tags.to_vec(),
                attributes: attributes(new),
            });
            return Some(());
        }
        if descends(new) && same_shape(self.old, old, self.new, new) {
            if attributes(old) != attributes(new) {
                self.push(PatchOp::Attributes {
                    path: path.to_vec(),
                    tags: tags.to_vec(),
                    attributes: attributes(new),
                });
            }
            return self.children(old, new, path, tags, Some(siblings));
        }
        self.element(new, path, tags, siblings)
    }

    /// `new` sent whole, to morph the live element at `path` into.
    fn element(
        &mut self,
        new: &Handle,
        path: &[usize],
        tags: &[String],
        siblings: usize,
    ) -> Option<()> {
        if holds_script(new) {
            return None;
        }
        let mut html = Vec::new();
        let opts = SerializeOpts {
            traversal_scope: TraversalScope::IncludeNode,
            ..Default::default()
        };
        serialize(&mut html, &SerializableHandle::from(new.clone()), opts).ok()?;
        self.push(PatchOp::Element {
            path: path.to_vec(),
            tags: tags.to_vec(),
            siblings,
            html: String::from_utf8(html).ok()?,
        });
        (self.size <= MAX_PATCH).then_some(())
    }

    fn push(&mut self, op: PatchOp) {
        self.size += match &op {
            PatchOp::Title { text } => text.len(),
            PatchOp::Attributes { attributes, .. } => {
                attributes.iter().map(|(n, v)| n.len() + v.len()).sum()
            }
            PatchOp::Element { html, .. } => html.len(),
        } + 32;
        self.ops.push(op);
    }
}

fn tag(node: &Handle) -> Option<&str> {
    match &node.data {
        NodeData::Element { name, .. } => Some(&name.local),
        _ => None,
    }
}

fn attributes(node: &Handle) -> Vec<(String, String)> {
    match &node.data {
        NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .map(|a| (a.name.local.to_string(), a.value.to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

fn elements(node: &Handle) -> Vec<Handle> {
    node.children
        .borrow()
        .iter()
        .filter(|child| tag(child).is_some())
        .cloned()
        .collect()
}

fn text_of(node: &Handle) -> String {
    node.children
        .borrow()
        .iter()
        .filter_map(|child| match &child.data {
            NodeData::Text { contents } => Some(contents.borrow().to_string()),
            _ => None,
        })
        .collect()
}

fn template_print(tree: &Tree, node: &Handle) -> Option<u64> {
    match &node.data {
        NodeData::Element {
            template_contents, ..
        } => template_contents.borrow().as_ref().map(|c| tree.of(c)),
        _ => None,
    }
}

/// Whether the diff may go into the element's children. Not into what the morph treats as one
/// piece (a script, a textarea's text, a template, a custom element that renders itself), nor
/// into SVG or MathML (an element sent from inside them would be parsed as HTML).
fn descends(node: &Handle) -> bool {
    let NodeData::Element { name, .. } = &node.data else {
        return false;
    };
    name.ns == html5ever::ns!(html)
        && !name.local.contains('-')
        && !matches!(
            &*name.local,
            "script" | "style" | "textarea" | "template" | "title" | "svg" | "math" | "noscript"
        )
}

/// The same children, kind for kind: elements of the same tag, equal text and comments.
fn same_shape(old_tree: &Tree, old: &Handle, new_tree: &Tree, new: &Handle) -> bool {
    let (o, n) = (old.children.borrow(), new.children.borrow());
    o.len() == n.len()
        && o.iter().zip(n.iter()).all(|(o, n)| match (tag(o), tag(n)) {
            (Some(a), Some(b)) => a == b,
            (None, None) => old_tree.of(o) == new_tree.of(n),
            _ => false,
        })
}

/// Whether a script runs in `node`'s subtree (or a `<noscript>`, which parses otherwise).
fn holds_script(node: &Handle) -> bool {
    let mut stack = vec![node.clone()];
    while let Some(node) = stack.pop() {
        if matches!(tag(&node), Some("script" | "noscript")) {
            return true;
        }
        stack.extend(node.children.borrow().iter().cloned());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> String {
        format!(
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>T</title></head><body>{body}</body></html>"
        )
    }

    #[test]
    fn equal_pages_need_nothing() {
        assert_eq!(diff(&page("<p>a</p>"), &page("<p>a</p>")), Some(vec![]));
    }

    #[test]
    fn a_changed_text_sends_the_smallest_element_around_it() {
        let old = page("<main><h1>Hello</h1><ul><li>a</li><li>b</li></ul></main>");
        let new = page("<main><h1>Hello</h1><ul><li>a</li><li>B!</li></ul></main>");
        assert_eq!(
            diff(&old, &new),
            Some(vec![PatchOp::Element {
                path: vec![1, 0, 1, 1],
                tags: vec!["body".into(), "main".into(), "ul".into(), "li".into()],
                siblings: 2,
                html: "<li>B!</li>".into(),
            }])
        );
    }

    #[test]
    fn an_attribute_change_sends_the_attributes_alone() {
        let old = page("<details><summary>s</summary><p>long text</p></details>");
        let new = page("<details class=x><summary>s</summary><p>long text</p></details>");
        assert_eq!(
            diff(&old, &new),
            Some(vec![PatchOp::Attributes {
                path: vec![1, 0],
                tags: vec!["body".into(), "details".into()],
                attributes: vec![("class".into(), "x".into())],
            }])
        );
    }

    #[test]
    fn the_path_is_the_one_the_browser_builds() {
        // The parser puts a <tbody> in the table: the path goes through it.
        let old = page("<table><tr><td>1</td></tr></table>");
        let new = page("<table><tr><td>2</td></tr></table>");
        let Some(ops) = diff(&old, &new) else {
            panic!("a patch")
        };
        let [PatchOp::Element { tags, html, .. }] = ops.as_slice() else {
            panic!("{ops:?}")
        };
        assert_eq!(tags, &["body", "table", "tbody", "tr", "td"]);
        assert_eq!(html, "<td>2</td>");
    }

    #[test]
    fn a_changed_title_is_a_title_op_and_other_head_changes_fetch() {
        let old = page("<p>a</p>");
        let retitled = old.replace("<title>T</title>", "<title>New</title>");
        assert_eq!(
            diff(&old, &retitled),
            Some(vec![PatchOp::Title { text: "New".into() }])
        );
        let restyled = old.replace("<title>", "<link rel=stylesheet href=/x.css><title>");
        assert_eq!(diff(&old, &restyled), None);
    }

    #[test]
    fn a_partial_in_every_row_sends_the_list_once() {
        let rows = |class: &str| {
            (0..40)
                .map(|i| format!("<li class={class}>{i}</li>"))
                .collect::<String>()
        };
        let text = "words ".repeat(200);
        let old = page(&format!("<h1>x</h1><ul>{}</ul><p>{text}</p>", rows("a")));
        let new = page(&format!("<h1>x</h1><ul>{}</ul><p>{text}</p>", rows("b")));
        let ops = diff(&old, &new).unwrap();
        assert_eq!(ops.len(), 1, "{ops:?}");
        assert!(
            matches!(&ops[0], PatchOp::Element { tags, siblings: 3, .. } if tags.last().unwrap() == "ul")
        );
        // A patch as big as the page is no gain: the page is fetched.
        let bare = |class: &str| page(&format!("<ul>{}</ul>", rows(class)));
        assert_eq!(diff(&bare("a"), &bare("b")), None);
    }

    #[test]
    fn what_a_patch_cannot_carry_fetches() {
        let old = page("<main><p>a</p></main>");
        // Body's children changed shape.
        assert_eq!(
            diff(&old, &page("<main><p>a</p></main><footer></footer>")),
            None
        );
        // A script in the changed subtree.
        assert_eq!(
            diff(&old, &page("<main><p>a<script>go()</script></p></main>")),
            None
        );
        // Bigger than a message may be.
        let big = format!("<main><p>{}</p></main>", "x".repeat(MAX_PATCH + 1));
        assert_eq!(diff(&old, &page(&big)), None);
        // Nested deeper than the diff looks.
        let deep = format!(
            "{}{}",
            "<div>".repeat(MAX_DEPTH + 10),
            "</div>".repeat(MAX_DEPTH + 10)
        );
        assert_eq!(
            diff(
                &page(&deep),
                &page(&deep.replacen("<div>", "<div class=x>", 1))
            ),
            None
        );
    }
}
