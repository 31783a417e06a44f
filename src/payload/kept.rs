//! The trees of the renders a patch starts from: each render parsed ([`super::parse`]), every
//! node fingerprinted and its HTML measured, and kept on the thread that diffs (the
//! pipeline's) for the next save.

use super::nodes::{escaped_len, is_void, tag};
use super::parse::{self, ByAddress, Placed};
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use std::collections::HashMap;

/// The biggest page diffed: a bigger one is fetched (parsing both versions would cost more
/// than the fetch saves).
pub const MAX_PAGE: usize = 4 << 20;

/// The deepest element the diff looks at; a page nested deeper is fetched.
pub const MAX_DEPTH: usize = 256;

/// The trees of the last renders diffed or remembered on this thread (the pipeline's), by a
/// hash of their HTML: a save parses only its new render, not the one its tabs show. rcdom's
/// trees cannot leave their thread, so the cache is the thread's own.
pub(super) struct Parsed;

/// The most trees kept on a thread, and the most HTML they were parsed from, together (a tree
/// takes about 16 times its HTML): past either, the oldest go.
pub(super) const KEPT_TREES: usize = 8;
pub(super) const KEPT_HTML: usize = 2 << 20;

thread_local! {
    pub(super) static TREES: std::cell::RefCell<Vec<Tree>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Parsed {
    /// The tree of `html`: the one kept, or parsed now.
    pub(super) fn take(html: &str) -> Option<Tree> {
        let hash = xxhash_rust::xxh3::xxh3_64(html.as_bytes());
        Parsed::kept(html, hash).or_else(|| Tree::parse(html, hash))
    }

    /// The tree kept for `html` (whose hash is `hash`), if any.
    pub(super) fn kept(html: &str, hash: u64) -> Option<Tree> {
        TREES.with_borrow_mut(|trees| {
            let at = trees
                .iter()
                .position(|t| t.hash == hash && t.len == html.len())?;
            let mut tree = trees.remove(at);
            tree.seal_pending();
            Some(tree)
        })
    }

    pub(super) fn keep(tree: Tree) {
        if tree.len > KEPT_HTML {
            return;
        }
        TREES.with_borrow_mut(|trees| {
            trees.retain(|t| t.hash != tree.hash);
            trees.push(tree);
            while trees.len() > KEPT_TREES || trees.iter().map(|t| t.len).sum::<usize>() > KEPT_HTML
            {
                trees.remove(0);
            }
        });
    }
}

/// A parsed document with a fingerprint for each node.
pub(super) struct Tree {
    /// A hash of the HTML it was parsed from, and its length.
    pub(super) hash: u64,
    pub(super) len: usize,
    /// Held for as long as the tree is used: dropping the document empties every node under it
    /// (rcdom drops iteratively, not by reference count).
    pub(super) _dom: RcDom,
    pub(super) html: Handle,
    /// Each node's fingerprint, and the length of its HTML as the serializer writes it.
    pub(super) prints: Prints,
    /// The text nodes whose place in the HTML is known, in order.
    pub(super) placed: Vec<Placed>,
    /// Nodes changed in place whose prints are still the old render's, in the order to seal
    /// them.
    pub(super) unsealed: Vec<Handle>,
}

/// The nodes a change in place changed, with how many bytes longer each one's HTML got.
pub(super) type Grown = HashMap<*const markup5ever_rcdom::Node, isize, ByAddress>;

/// Fingerprints and HTML lengths, by node.
pub(super) type Prints = HashMap<*const markup5ever_rcdom::Node, (u64, usize), ByAddress>;

/// Parses `html`, a render the next diff may start from, ahead of time (the pipeline does it
/// for a page as it is served, between saves).
pub fn remember(html: &str) {
    if html.len() <= MAX_PAGE
        && let Some(tree) = Parsed::take(html)
    {
        Parsed::keep(tree);
    }
}

/// Seals the prints that patches made in place on this thread left stale: the pipeline calls
/// it once their message is on its way, so that the next save's diff does not wait for it.
pub fn settle() {
    TREES.with_borrow_mut(|trees| trees.iter_mut().for_each(Tree::seal_pending));
}

impl Tree {
    /// `node`'s fingerprint.
    pub(super) fn fingerprint(&self, node: &Handle) -> u64 {
        self.prints[&std::rc::Rc::as_ptr(node)].0
    }

    /// The length of `node`'s HTML, as [`super::nodes::serialized`] writes it.
    pub(super) fn html_len(&self, node: &Handle) -> usize {
        self.prints[&std::rc::Rc::as_ptr(node)].1
    }

    pub(super) fn parse(text: &str, hash: u64) -> Option<Tree> {
        let (dom, placed) = parse::parse(text);
        let html = dom
            .document
            .children
            .borrow()
            .iter()
            .find(|node| tag(node) == Some("html"))
            .cloned()?;
        let mut tree = Tree {
            hash,
            len: text.len(),
            _dom: dom,
            html: html.clone(),
            prints: HashMap::with_capacity_and_hasher(text.len() / 8, ByAddress::default()),
            placed,
            unsealed: Vec::new(),
        };
        tree.print(&html, 0)?;
        Some(tree)
    }

    /// Fingerprints `node` and everything under it, and measures their HTML; `None` past
    /// [`MAX_DEPTH`].
    pub(super) fn print(&mut self, node: &Handle, depth: usize) -> Option<(u64, usize)> {
        if depth > MAX_DEPTH {
            return None;
        }
        if let NodeData::Element {
            template_contents, ..
        } = &node.data
            && let Some(contents) = template_contents.borrow().as_ref()
        {
            self.print(contents, depth + 1)?;
        }
        for child in node.children.borrow().iter() {
            self.print(child, depth + 1)?;
        }
        Some(self.seal(node))
    }

    /// Fingerprints and measures `node` from what it is and its children's (already
    /// fingerprinted) prints. A fingerprint is xxh3 over the node's kind, name and attributes
    /// (or text) and its children's fingerprints.
    pub(super) fn seal(&mut self, node: &Handle) -> (u64, usize) {
        let mut bytes = Vec::with_capacity(64);
        let mut size = 0;
        let mut raw = false;
        match &node.data {
            NodeData::Element {
                name,
                attrs,
                template_contents,
                ..
            } => {
                bytes.push(0u8);
                bytes.extend_from_slice(name.ns.as_bytes());
                bytes.push(0);
                bytes.extend_from_slice(name.local.as_bytes());
                // `<name` `>` and, unless void, `</name>`.
                let void = is_void(&name.local);
                size += 2 + name.local.len() + if void { 0 } else { 3 + name.local.len() };
                raw = matches!(
                    &*name.local,
                    "style" | "script" | "xmp" | "iframe" | "noembed" | "noframes" | "plaintext"
                );
                for attribute in attrs.borrow().iter() {
                    bytes.push(0);
                    bytes.extend_from_slice(attribute.name.local.as_bytes());
                    bytes.push(0);
                    bytes.extend_from_slice(attribute.value.as_bytes());
                    // ` name="value"`
                    size += 4 + attribute.name.local.len() + escaped_len(&attribute.value, true);
                }
                // The serializer leaves a template's contents out (and a patch holds none).
                if let Some(contents) = template_contents.borrow().as_ref() {
                    bytes.extend_from_slice(
                        &self.prints[&std::rc::Rc::as_ptr(contents)].0.to_le_bytes(),
                    );
                }
            }
            NodeData::Text { contents } => {
                bytes.push(1);
                let contents = contents.borrow();
                bytes.extend_from_slice(contents.as_bytes());
                size += escaped_len(&contents, false);
            }
            NodeData::Comment { contents } => {
                bytes.push(2);
                bytes.extend_from_slice(contents.as_bytes());
                size += 7 + contents.len();
            }
            _ => bytes.push(3),
        }
        for child in node.children.borrow().iter() {
            let (print, inside) = self.prints[&std::rc::Rc::as_ptr(child)];
            bytes.extend_from_slice(&print.to_le_bytes());
            // A raw-text element's text is written as it is.
            size += match (&child.data, raw) {
                (NodeData::Text { contents }, true) => contents.borrow().len(),
                _ => inside,
            };
        }
        let print = (xxhash_rust::xxh3::xxh3_64(&bytes), size);
        self.prints.insert(std::rc::Rc::as_ptr(node), print);
        print
    }

    /// Seals the prints a change in place left stale.
    pub(super) fn seal_pending(&mut self) {
        for node in std::mem::take(&mut self.unsealed) {
            self.seal(&node);
        }
    }
}
