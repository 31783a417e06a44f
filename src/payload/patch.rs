//! A template save's patch: what changed between the HTML a route was last served as and its
//! new render, as the smallest subtrees the page's morph can be pointed at.
//!
//! Both documents are parsed with html5ever, the HTML standard's tree construction (what the
//! browser built from the first is what the diff starts from: implied `<tbody>`, closed `<p>`).
//! Every node gets a fingerprint over its tag, attributes and children, so equal subtrees are
//! passed over whole. Walking down from `<html>`:
//! - an element whose children have the same shape (the same tags, texts and comments, in the
//!   same order) is descended into: its own attributes, if they changed, become an
//!   [`PatchOp::Attributes`], a text that changed a [`PatchOp::Text`] (nothing to parse in the
//!   page), and each child element that differs is diffed in turn;
//! - any other element that differs becomes a [`PatchOp::Element`]: its new HTML, which the
//!   page morphs the live element into, with the morph's rules (live state wins unless the
//!   template changed that attribute, `data-hotplate-keep`);
//! - when more than [`MANY`] ops come from an element's children (a partial every row of a
//!   list includes) and the element's HTML is smaller, the element itself is sent instead.
//!
//! A save that changed one run of text and nothing else is patched from the tree kept for the
//! old render, without parsing the new one ([`one_text`]).
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
use std::hash::Hasher;

/// The most a patch may hold (the HTML of its elements): past it, the pages fetch.
pub const MAX_PATCH: usize = 256 * 1024;

/// The biggest page diffed: a bigger one is fetched (parsing both versions would cost more
/// than the fetch saves).
pub const MAX_PAGE: usize = 4 << 20;

/// The deepest element the diff looks at; a page nested deeper is fetched.
pub const MAX_DEPTH: usize = 256;

/// When more than this many ops come from an element's children, the element is sent whole if
/// that is smaller.
const MANY: usize = 16;

/// The ops that make the page `old` into `new`, or `None` when the pages should fetch `new`.
/// Two equal pages give no ops.
pub fn diff(old: &str, new: &str) -> Option<Vec<PatchOp>> {
    if old.len() > MAX_PAGE || new.len() > MAX_PAGE {
        return None;
    }
    if let Some(ops) = one_text(old, new) {
        return Some(ops);
    }
    let new_text = new;
    let started = std::time::Instant::now();
    let old = Parsed::take(old)?;
    let new = Parsed::take(new)?;
    tracing::debug!("parsed the renders in {:?}", started.elapsed());
    let mut diff = Diff {
        old: &old,
        new: &new,
        ops: Vec::new(),
        size: 0,
    };
    diff.document()?;
    // No gain in a patch as big as the page, both as the serializer writes them (it quotes
    // every attribute, so a patch of most of the page can outgrow the page's source).
    let page = if diff.size > new_text.len() * 9 / 10 {
        new.html_len(&new.html)
    } else {
        new_text.len()
    };
    let ops = (diff.size <= MAX_PATCH && diff.size <= page).then_some(diff.ops);
    // The new render is what the next diff starts from.
    Parsed::keep(new);
    ops
}

/// Parses `html`, a render the next diff may start from, ahead of time (the pipeline does it
/// for a page as it is served, between saves).
pub fn remember(html: &str) {
    if html.len() <= MAX_PAGE
        && let Some(tree) = Parsed::take(html)
    {
        Parsed::keep(tree);
    }
}

/// The trees of the last renders diffed or remembered on this thread (the pipeline's), by a
/// hash of their HTML: a save parses only its new render, not the one its tabs show. rcdom's
/// trees cannot leave their thread, so the cache is the thread's own.
struct Parsed;

/// The most trees kept on a thread, and the most HTML they were parsed from, together (a tree
/// takes about 16 times its HTML): past either, the oldest go.
const KEPT_TREES: usize = 8;
const KEPT_HTML: usize = 2 << 20;

thread_local! {
    static TREES: std::cell::RefCell<Vec<Tree>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Parsed {
    /// The tree of `html`: the one kept, or parsed now.
    fn take(html: &str) -> Option<Tree> {
        let hash = xxhash_rust::xxh3::xxh3_64(html.as_bytes());
        Parsed::kept(html, hash).or_else(|| Tree::parse(html, hash))
    }

    /// The tree kept for `html` (whose hash is `hash`), if any.
    fn kept(html: &str, hash: u64) -> Option<Tree> {
        TREES.with_borrow_mut(|trees| {
            let at = trees
                .iter()
                .position(|t| t.hash == hash && t.len == html.len())?;
            Some(trees.remove(at))
        })
    }

    fn keep(tree: Tree) {
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
struct Tree {
    /// A hash of the HTML it was parsed from, and its length.
    hash: u64,
    len: usize,
    /// Held for as long as the tree is used: dropping the document empties every node under it
    /// (rcdom drops iteratively, not by reference count).
    _dom: RcDom,
    html: Handle,
    /// Each node's fingerprint, and the length of its HTML as the serializer writes it.
    prints: HashMap<*const markup5ever_rcdom::Node, (u64, usize), ByAddress>,
}

/// Hashes a node's address for the fingerprints' map: addresses are already spread, so one
/// multiplication does (the default SipHash took a third of a big page's fingerprinting).
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(*byte)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_usize(&mut self, address: usize) {
        self.0 = (address as u64).wrapping_mul(0x9e_37_79_b9_7f_4a_7c_15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type ByAddress = std::hash::BuildHasherDefault<AddressHasher>;

impl Tree {
    fn parse(text: &str, hash: u64) -> Option<Tree> {
        let dom = parse_document(RcDom::default(), ParseOpts::default()).one(text);
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
        };
        tree.print(&html, 0)?;
        Some(tree)
    }

    /// Fingerprints `node` and everything under it, and measures their HTML; `None` past
    /// [`MAX_DEPTH`].
    fn print(&mut self, node: &Handle, depth: usize) -> Option<(u64, usize)> {
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
    fn seal(&mut self, node: &Handle) -> (u64, usize) {
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
                    bytes.extend_from_slice(&self.of(contents).to_le_bytes());
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

    /// Changes the one text node that reads `old` (in the body, under elements the diff
    /// descends into) to `new`, seals the fingerprints above it again, and gives the op that
    /// does the same in the page; `None`, changing nothing, when no such node is the one.
    fn set_text(&mut self, old: &str, new: &str) -> Option<PatchOp> {
        let mut found = Vec::new();
        let mut stack = vec![self.html.clone()];
        while let Some(node) = stack.pop() {
            if let NodeData::Text { contents } = &node.data
                && &**contents.borrow() == old
            {
                found.push(node.clone());
            }
            stack.extend(node.children.borrow().iter().cloned());
        }
        let [text] = found.as_slice() else {
            return None;
        };
        // The elements from the text's parent up to `<html>`.
        let mut chain = Vec::new();
        let mut at = parent(text);
        while let Some(node) = at {
            at = parent(&node).filter(|p| tag(p).is_some());
            chain.push(node);
        }
        if chain
            .last()
            .is_none_or(|top| !std::rc::Rc::ptr_eq(top, &self.html))
            || chain.len() < 2
            || tag(&chain[chain.len() - 2]) != Some("body")
            || !chain[..chain.len() - 1].iter().all(descends)
        {
            return None;
        }
        // Element-child indices and tags from `<html>` down to the text's parent.
        let (mut path, mut tags) = (Vec::new(), Vec::new());
        for pair in chain.windows(2).rev() {
            let (child, parent) = (&pair[0], &pair[1]);
            path.push(
                elements(parent)
                    .iter()
                    .position(|e| std::rc::Rc::ptr_eq(e, child))?,
            );
            tags.push(tag(child)?.to_string());
        }
        let parent = &chain[0];
        let (index, nodes) = {
            let children = parent.children.borrow();
            let index = children.iter().position(|c| std::rc::Rc::ptr_eq(c, text))?;
            (index, children.len())
        };
        let siblings = match chain.get(1) {
            Some(grandparent) if path.len() >= 2 => elements(grandparent).len(),
            _ => 0,
        };
        if let NodeData::Text { contents } = &text.data {
            *contents.borrow_mut() = new.into();
        }
        self.seal(text);
        for node in &chain {
            self.seal(node);
        }
        Some(PatchOp::Text {
            path,
            tags,
            siblings,
            index,
            nodes,
            text: new.to_string(),
        })
    }

    fn of(&self, node: &Handle) -> u64 {
        self.prints[&std::rc::Rc::as_ptr(node)].0
    }

    /// The length of `node`'s HTML, as [`serialized`] writes it.
    fn html_len(&self, node: &Handle) -> usize {
        self.prints[&std::rc::Rc::as_ptr(node)].1
    }
}

/// Elements the serializer writes without an end tag.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// The length of `text` as the serializer escapes it: `&` and no-break spaces always, `"` in
/// an attribute, `<` and `>` in text.
fn escaped_len(text: &str, attribute: bool) -> usize {
    text.len()
        + text
            .chars()
            .map(|c| match c {
                '&' => 4,
                '\u{a0}' => 4,
                '"' if attribute => 5,
                '<' | '>' if !attribute => 3,
                _ => 0,
            })
            .sum::<usize>()
}

/// The patch for a save that changed one run of text in the body and nothing else (a
/// heading, a sentence), without parsing the new render: the tree kept for `old` becomes the
/// new one's, its text node changed in place and the fingerprints above it sealed again.
///
/// The two renders are the same but for one stretch, inside a run of text between a `>` and a
/// `<` that holds no character reference, carriage return or NUL, and has something other
/// than white space, and the same leading white space, on both sides: the parser then builds
/// the same tree, that text aside. The run must be written once in `old` (`>run<`), and one
/// text node of the tree, in the body and in elements the diff descends into, must be that
/// run: any doubt (a run the parser merged with another, a run in an attribute or a comment)
/// and the renders are diffed in full. `None` then, and the kept tree is left as it was.
fn one_text(old: &str, new: &str) -> Option<Vec<PatchOp>> {
    let (old_bytes, new_bytes) = (old.as_bytes(), new.as_bytes());
    let mut start = old_bytes
        .iter()
        .zip(new_bytes)
        .take_while(|(a, b)| a == b)
        .count();
    let most = old.len().min(new.len()) - start;
    let mut same_end = old_bytes
        .iter()
        .rev()
        .zip(new_bytes.iter().rev())
        .take(most)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
        start -= 1;
    }
    while !old.is_char_boundary(old.len() - same_end) || !new.is_char_boundary(new.len() - same_end)
    {
        same_end -= 1;
    }
    if start == old.len() && start == new.len() {
        return None;
    }
    let run_start = old[..start].rfind('>')? + 1;
    let old_end = old.len() - same_end + old[old.len() - same_end..].find('<')?;
    let new_end = old_end + new.len() - old.len();
    let (old_run, new_run) = (&old[run_start..old_end], &new[run_start..new_end]);
    let plain = |run: &str| !run.contains(['<', '>', '&', '\r', '\0']) && !run.trim().is_empty();
    let leading = |run: &str| run.len() - run.trim_start().len();
    if !plain(old_run)
        || !plain(new_run)
        || old_run[..leading(old_run)] != new_run[..leading(new_run)]
        || old.matches(&format!(">{old_run}<")).count() != 1
    {
        return None;
    }
    let mut tree = Parsed::kept(old, xxhash_rust::xxh3::xxh3_64(old_bytes))?;
    let Some(op) = tree.set_text(old_run, new_run) else {
        Parsed::keep(tree);
        return None;
    };
    tree.hash = xxhash_rust::xxh3::xxh3_64(new_bytes);
    tree.len = new.len();
    Parsed::keep(tree);
    Some(vec![op])
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
                siblings: 0,
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
        if tag(old_body) != tag(new_body) || !same_shape(old_body, new_body) {
            return None;
        }
        let path = vec![1];
        let tags = vec![tag(new_body)?.to_string()];
        if attributes(old_body) != attributes(new_body) {
            self.push(PatchOp::Attributes {
                path: path.clone(),
                tags: tags.clone(),
                siblings: 0,
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

    /// The children of `old` and `new` (the same shape), diffed in order: a text that changed
    /// becomes a `Text` op, an element that changed is diffed in turn. With `whole` (the
    /// parent's own element siblings), the parent is sent whole instead when many of its
    /// children changed and that is the smaller patch.
    fn children(
        &mut self,
        old: &Handle,
        new: &Handle,
        path: &[usize],
        tags: &[String],
        whole: Option<usize>,
    ) -> Option<()> {
        let mut within = Diff {
            old: self.old,
            new: self.new,
            ops: Vec::new(),
            size: 0,
        };
        let siblings = elements(new).len();
        let (old_children, new_children) = (old.children.borrow(), new.children.borrow());
        let nodes = new_children.len();
        let mut element = 0;
        for (index, (o, n)) in old_children.iter().zip(new_children.iter()).enumerate() {
            let changed = self.old.of(o) != self.new.of(n);
            match (&n.data, changed) {
                (NodeData::Element { .. }, changed) => {
                    if changed {
                        let mut path = path.to_vec();
                        path.push(element);
                        let mut tags = tags.to_vec();
                        tags.push(tag(n)?.to_string());
                        within.changed(o, n, &path, &tags, siblings)?;
                    }
                    element += 1;
                }
                (_, false) => {}
                (NodeData::Text { contents }, true) => within.push(PatchOp::Text {
                    path: path.to_vec(),
                    tags: tags.to_vec(),
                    siblings: whole.unwrap_or(0),
                    index,
                    nodes,
                    text: contents.borrow().to_string(),
                }),
                // A comment changed: the parent goes whole.
                _ => return self.element(new, path, tags, whole?),
            }
        }
        if let Some(own_siblings) = whole
            && within.ops.len() > MANY
            && self.new.html_len(new) + 32 < within.size
        {
            return self.element(new, path, tags, own_siblings);
        }
        self.size += within.size;
        self.ops.extend(within.ops);
        (self.size <= MAX_PATCH).then_some(())
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
                siblings,
                attributes: attributes(new),
            });
            return Some(());
        }
        if descends(new) && same_shape(old, new) {
            if attributes(old) != attributes(new) {
                self.push(PatchOp::Attributes {
                    path: path.to_vec(),
                    tags: tags.to_vec(),
                    siblings,
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
        self.push(PatchOp::Element {
            path: path.to_vec(),
            tags: tags.to_vec(),
            siblings,
            html: serialized(new)?,
        });
        (self.size <= MAX_PATCH).then_some(())
    }

    fn push(&mut self, op: PatchOp) {
        self.size += match &op {
            PatchOp::Title { text } => text.len(),
            PatchOp::Text { text, tags, .. } => {
                text.len() + tags.iter().map(String::len).sum::<usize>()
            }
            PatchOp::Attributes {
                attributes, tags, ..
            } => {
                attributes
                    .iter()
                    .map(|(n, v)| n.len() + v.len())
                    .sum::<usize>()
                    + tags.iter().map(String::len).sum::<usize>()
            }
            PatchOp::Element { html, tags, .. } => {
                html.len() + tags.iter().map(String::len).sum::<usize>()
            }
        } + 32;
        self.ops.push(op);
    }
}

/// `node` and what it holds, as HTML.
fn serialized(node: &Handle) -> Option<String> {
    let mut html = Vec::new();
    let opts = SerializeOpts {
        traversal_scope: TraversalScope::IncludeNode,
        ..Default::default()
    };
    serialize(&mut html, &SerializableHandle::from(node.clone()), opts).ok()?;
    String::from_utf8(html).ok()
}

/// `node`'s parent (rcdom keeps it in a `Cell`, so it is taken out and put back).
fn parent(node: &Handle) -> Option<Handle> {
    let parent = node.parent.take();
    let handle = parent.as_ref().and_then(|p| p.upgrade());
    node.parent.set(parent);
    handle
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

/// The same children, kind for kind: elements of the same tag, texts, comments.
fn same_shape(old: &Handle, new: &Handle) -> bool {
    let (o, n) = (old.children.borrow(), new.children.borrow());
    o.len() == n.len()
        && o.iter()
            .zip(n.iter())
            .all(|(o, n)| match (&o.data, &n.data) {
                (NodeData::Element { .. }, NodeData::Element { .. }) => tag(o) == tag(n),
                (NodeData::Text { .. }, NodeData::Text { .. })
                | (NodeData::Comment { .. }, NodeData::Comment { .. }) => true,
                _ => false,
            })
}

/// Whether a script runs in `node`'s subtree (or a `<noscript>`, which parses otherwise), or it
/// holds a `<template>` (rcdom's serializer leaves a template's contents out).
fn holds_script(node: &Handle) -> bool {
    let mut stack = vec![node.clone()];
    while let Some(node) = stack.pop() {
        if matches!(tag(&node), Some("script" | "noscript" | "template")) {
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
    fn the_html_length_measured_while_fingerprinting_is_what_the_serializer_writes() {
        let html = page(
            "<main class=\"a &amp; b\" title='say \"hi\"'>\
             <p>1 &lt; 2 &amp;&amp; 3 &gt; 2&nbsp;!</p><!-- a comment -->\
             <img src=x.png alt=\"\"><br><input value=\"&quot;\">\
             <script>if (a < b && c > d) {}</script><style>p > a { color: red }</style>\
             <template><li>in a template</li></template>\
             <svg><circle r=1 /></svg><table><tr><td>cell</td></tr></table></main>",
        );
        let tree = Tree::parse(&html, 0).unwrap();
        let mut stack = vec![tree.html.clone()];
        while let Some(node) = stack.pop() {
            if matches!(node.data, NodeData::Element { .. }) {
                assert_eq!(
                    tree.html_len(&node),
                    serialized(&node).unwrap().len(),
                    "{}",
                    serialized(&node).unwrap()
                );
            }
            stack.extend(node.children.borrow().iter().cloned());
        }
    }

    #[test]
    fn a_changed_template_element_is_fetched_since_its_contents_cannot_be_sent() {
        let old = page("<div><template><p>a</p></template></div>");
        let new = page("<div><template><p>b</p></template></div>");
        assert_eq!(diff(&old, &new), None);
    }

    /// The diff of `old` and `new` with nothing kept: both parsed, on a thread of its own.
    fn parsed_in_full(old: &str, new: &str) -> Option<Vec<PatchOp>> {
        let (old, new) = (old.to_string(), new.to_string());
        std::thread::spawn(move || diff(&old, &new)).join().unwrap()
    }

    fn rows(heading: &str, row: &str) -> String {
        page(&format!(
            "<h1 id=title>{heading}</h1><table><tr><td>cell</td></tr></table>\
             <ul>{}</ul><p>x &amp; y</p>",
            (0..5)
                .map(|i| format!(
                    "<li><a href=#{i}>{}</a></li>",
                    if i == 3 { row } else { "row" }
                ))
                .collect::<String>()
        ))
    }

    #[test]
    fn a_save_of_one_text_is_patched_from_the_kept_tree_as_the_full_diff_would() {
        let v1 = rows("Rows", "row");
        let v2 = rows("Rows, edited", "row");
        let v3 = rows("Rows, edited again", "row");
        remember(&v1);
        let patch = one_text(&v1, &v2).expect("one text changed");
        assert_eq!(Some(patch.clone()), parsed_in_full(&v1, &v2));
        assert!(matches!(&patch[..], [PatchOp::Text { text, .. }] if text == "Rows, edited"));
        // The tree kept is now the new render's: the next save starts from it, in place again
        // and in full, with the same result as from a fresh parse.
        assert_eq!(one_text(&v2, &v3), parsed_in_full(&v2, &v3));
        let v4 = v3.replace("<ul>", "<ul><li>new</li>");
        assert_eq!(diff(&v3, &v4), parsed_in_full(&v3, &v4));
        let held = TREES.with_borrow(|trees| trees.iter().map(|t| t.hash).collect::<Vec<_>>());
        assert_eq!(held, vec![xxhash_rust::xxh3::xxh3_64(v4.as_bytes())]);
    }

    #[test]
    fn a_text_written_more_than_once_or_not_plain_is_diffed_in_full() {
        let cases = [
            // "row" is written in every row: which one changed is the parser's to say.
            (rows("Rows", "row"), rows("Rows", "row 3")),
            // A character reference.
            (rows("Rows", "row"), rows("Rows &amp; more", "row")),
            (
                rows("Rows", "row").replace("x &amp; y", "x &amp; z"),
                rows("Rows", "row"),
            ),
            // White space alone, where the parser may put it elsewhere.
            (rows("Rows", "row"), rows(" ", "row")),
            // The title, and text in a `<pre>` whose first line break the parser drops.
            (page("<p>a</p>"), page("<p>a</p>").replace(">T<", ">U<")),
            (page("<pre>\nline</pre>"), page("<pre>\nline 2</pre>")),
            // Text in a table cell, and in SVG.
            (
                rows("Rows", "row"),
                rows("Rows", "row").replace(">cell<", ">cell 2<"),
            ),
            (
                page("<svg><text>a</text></svg>"),
                page("<svg><text>b</text></svg>"),
            ),
        ];
        for (old, new) in cases {
            remember(&old);
            let full = parsed_in_full(&old, &new);
            let fast = one_text(&old, &new);
            assert!(
                fast.is_none() || fast == full,
                "{old}\n{new}\n{fast:?}\n{full:?}"
            );
            remember(&old);
            assert_eq!(diff(&old, &new), full, "{new}");
        }
        // The cell and nothing else: a text the diff descends to.
        let (old, new) = (
            rows("Rows", "row"),
            rows("Rows", "row").replace(">cell<", ">cell 2<"),
        );
        remember(&old);
        assert!(one_text(&old, &new).is_some());
        remember(&old);
        let (old, new) = (page("<pre>\nline</pre>"), page("<pre>\nline 2</pre>"));
        assert!(one_text(&old, &new).is_none());
    }

    #[test]
    fn equal_pages_need_nothing() {
        assert_eq!(diff(&page("<p>a</p>"), &page("<p>a</p>")), Some(vec![]));
    }

    #[test]
    fn a_changed_text_is_set_where_it_is() {
        let old = page("<main><h1>Hello</h1><ul><li>a</li><li>b</li></ul></main>");
        let new = page("<main><h1>Hello</h1><ul><li>a</li><li>B!</li></ul></main>");
        assert_eq!(
            diff(&old, &new),
            Some(vec![PatchOp::Text {
                path: vec![1, 0, 1, 1],
                tags: vec!["body".into(), "main".into(), "ul".into(), "li".into()],
                siblings: 2,
                index: 0,
                nodes: 1,
                text: "B!".into(),
            }])
        );
    }

    #[test]
    fn a_changed_structure_sends_the_smallest_element_around_it() {
        let old = page("<main><h1>Hello</h1><ul><li>a</li><li>b</li></ul></main>");
        let new = page("<main><h1>Hello</h1><ul><li>a</li><li><b>b</b></li></ul></main>");
        assert_eq!(
            diff(&old, &new),
            Some(vec![PatchOp::Element {
                path: vec![1, 0, 1, 1],
                tags: vec!["body".into(), "main".into(), "ul".into(), "li".into()],
                siblings: 2,
                html: "<li><b>b</b></li>".into(),
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
                siblings: 1,
                attributes: vec![("class".into(), "x".into())],
            }])
        );
    }

    #[test]
    fn the_path_is_the_one_the_browser_builds() {
        // The parser puts a <tbody> in the table: the path goes through it.
        let old = page("<table><tr><td>1</td></tr></table>");
        let new = page("<table><tr><td><i>2</i></td></tr></table>");
        let Some(ops) = diff(&old, &new) else {
            panic!("a patch")
        };
        let [PatchOp::Element { tags, html, .. }] = ops.as_slice() else {
            panic!("{ops:?}")
        };
        assert_eq!(tags, &["body", "table", "tbody", "tr", "td"]);
        assert_eq!(html, "<td><i>2</i></td>");
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
        // The list is most of the page: its patch goes all the same (the page's source quotes
        // fewer attributes than the patch does).
        let bare = |class: &str| page(&format!("<ul>{}</ul>", rows(class)));
        assert!(diff(&bare("a"), &bare("b")).is_some());
        // A patch bigger than the page is no gain: the page is fetched.
        let paragraphs = |class: &str| page(&format!("<p class={class}>x</p>").repeat(100));
        assert_eq!(diff(&paragraphs("a"), &paragraphs("b")), None);
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

    #[test]
    fn a_diff_parses_only_the_render_it_has_not_seen() {
        let held = || TREES.with_borrow(|trees| trees.iter().map(|t| t.hash).collect::<Vec<_>>());
        let hash = |html: &str| xxhash_rust::xxh3::xxh3_64(html.as_bytes());
        let (a, b) = (page("<p>a</p>"), page("<p>b</p>"));
        remember(&a);
        assert_eq!(held(), vec![hash(&a)], "the served page, parsed ahead");
        assert!(diff(&a, &b).is_some());
        assert_eq!(
            held(),
            vec![hash(&b)],
            "a's tree was used, b's kept for the next save"
        );
        for i in 0..KEPT_TREES + 3 {
            remember(&page(&format!("<p>{i}</p>")));
        }
        assert_eq!(held().len(), KEPT_TREES, "bounded in number");
        let big = |i: usize| page(&format!("<p>{i}{}</p>", "x".repeat(KEPT_HTML / 3)));
        for i in 0..4 {
            remember(&big(i));
        }
        let bytes: usize = TREES.with_borrow(|trees| trees.iter().map(|t| t.len).sum());
        assert!(bytes <= KEPT_HTML, "bounded in size: {bytes}");
        assert_eq!(held().last(), Some(&hash(&big(3))), "the newest stays");
        remember(&page(&"x".repeat(KEPT_HTML + 1)));
        assert_eq!(
            held().last(),
            Some(&hash(&big(3))),
            "a page too big is not kept"
        );
    }
}
