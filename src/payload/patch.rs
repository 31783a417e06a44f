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
//!   list includes), text ops at the same place in each row become one [`PatchOp::Texts`];
//!   and when the element's HTML is smaller, the element itself is sent instead.
//!
//! A save that changed texts and nothing else (a heading, a line of a partial every row
//! includes) is patched from the tree kept for the old render, its texts changed in place,
//! without parsing the new one ([`patched_in_place`]): the parse placed each text in the
//! render it came from ([`super::parse`]).
//!
//! There is no patch (the pages fetch, as before) when the `<head>` changed beyond its title
//! (the head merge needs the runtime's tags, which the document gets on its way out), when
//! `<body>`'s children changed shape, when a changed subtree holds a script (an inline
//! module's imports are resolved on the way out), when the page nests deeper than
//! [`MAX_DEPTH`] or is bigger than [`MAX_PAGE`], or when the patch would be bigger than the
//! page or [`MAX_PATCH`].

use super::parse::{self, ByAddress, Placed};
use crate::base::PatchOp;
use html5ever::serialize::{SerializeOpts, TraversalScope, serialize};
use markup5ever_rcdom::{Handle, NodeData, RcDom, SerializableHandle};
use std::collections::HashMap;

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
    if let Some(ops) = patched_in_place(old, new) {
        return ops;
    }
    let started = std::time::Instant::now();
    let old_tree = Parsed::take(old)?;
    let new_tree = Parsed::take(new)?;
    tracing::debug!("parsed the renders in {:?}", started.elapsed());
    let ops = ops(View::of(&old_tree), View::of(&new_tree), new.len(), None);
    // The new render is what the next diff starts from.
    Parsed::keep(new_tree);
    ops
}

/// The diff of two trees, `None` when the pages should fetch; `new_len` is the new render's
/// length.
fn ops(
    old: View<'_>,
    new: View<'_>,
    new_len: usize,
    in_place: Option<&Grown>,
) -> Option<Vec<PatchOp>> {
    let mut diff = Diff {
        old,
        new,
        in_place,
        ops: Vec::new(),
        size: 0,
    };
    diff.document()?;
    // No gain in a patch as big as the page, both as the serializer writes them (it quotes
    // every attribute, so a patch of most of the page can outgrow the page's source).
    let page = if diff.size > new_len * 9 / 10 {
        diff.new_len(&new.tree.html)
    } else {
        new_len
    };
    (diff.size <= MAX_PATCH && diff.size <= page).then_some(diff.ops)
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

/// Seals the prints that patches made in place on this thread left stale: the pipeline calls
/// it once their message is on its way, so that the next save's diff does not wait for it.
pub fn settle() {
    TREES.with_borrow_mut(|trees| trees.iter_mut().for_each(Tree::seal_pending));
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
            let mut tree = trees.remove(at);
            tree.seal_pending();
            Some(tree)
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
    prints: Prints,
    /// The text nodes whose place in the HTML is known, in order.
    placed: Vec<Placed>,
    /// Nodes changed in place whose prints are still the old render's, in the order to seal
    /// them.
    unsealed: Vec<Handle>,
}

/// The nodes a change in place changed, with how many bytes longer each one's HTML got.
type Grown = HashMap<*const markup5ever_rcdom::Node, isize, ByAddress>;

/// Fingerprints and HTML lengths, by node.
type Prints = HashMap<*const markup5ever_rcdom::Node, (u64, usize), ByAddress>;

/// A tree's fingerprints and HTML lengths, one side of a diff.
#[derive(Clone, Copy)]
struct View<'t> {
    tree: &'t Tree,
}

impl<'t> View<'t> {
    fn of(tree: &'t Tree) -> View<'t> {
        View { tree }
    }

    fn print(&self, node: &Handle) -> (u64, usize) {
        self.tree.prints[&std::rc::Rc::as_ptr(node)]
    }

    fn fingerprint(&self, node: &Handle) -> u64 {
        self.print(node).0
    }

    /// The length of `node`'s HTML, as [`serialized`] writes it.
    fn html_len(&self, node: &Handle) -> usize {
        self.print(node).1
    }
}

impl Tree {
    fn parse(text: &str, hash: u64) -> Option<Tree> {
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

    /// Changes the placed text nodes the two renders differ in, when nothing else differs and
    /// the new render would parse to this tree with the new texts, and gives the nodes that
    /// changed (the texts and the elements above them) with how much longer each one's HTML
    /// got; `None`, changing nothing, otherwise. Their prints are left as they were, the old
    /// render's, for the diff to read; they are sealed again after it ([`Tree::seal_pending`]).
    fn set_texts(&mut self, old: &str, new: &str) -> Option<Grown> {
        let changes = changed_texts(old, new, &self.placed)?;
        // Each text, and the elements from its parent up to `<html>`, checked as in the diff:
        // under `<body>`, in elements it descends into. An element seen for an earlier text
        // was checked with all above it; each one's depth orders the sealing, and its parent
        // carries a text's growth up.
        let html = std::rc::Rc::as_ptr(&self.html);
        let mut depths: HashMap<*const markup5ever_rcdom::Node, usize, ByAddress> =
            HashMap::from_iter([(html, 0)]);
        let mut up: HashMap<*const markup5ever_rcdom::Node, Handle, ByAddress> = HashMap::default();
        let mut grown = Grown::default();
        let mut elements = vec![(0, self.html.clone())];
        for (at, text) in &changes {
            let placed = &self.placed[*at];
            let was = &old[placed.start..placed.end];
            if !plain(was) || !plain(text) || leading(was) != leading(text) {
                return None;
            }
            let mut chain = Vec::new();
            let mut node = parent(&placed.node);
            let (mut depth, top) = loop {
                let element = node.filter(|e| tag(e).is_some())?;
                if let Some(&depth) = depths.get(&std::rc::Rc::as_ptr(&element)) {
                    break (depth, element);
                }
                node = parent(&element);
                chain.push(element);
            };
            // Below `<html>` (depth 0), only `<body>`.
            if depth == 0 && chain.last().and_then(tag) != Some("body")
                || !chain.iter().all(descends)
            {
                return None;
            }
            for (i, element) in chain.iter().enumerate().rev() {
                depth += 1;
                let key = std::rc::Rc::as_ptr(element);
                depths.insert(key, depth);
                up.insert(key, chain.get(i + 1).unwrap_or(&top).clone());
                elements.push((depth, element.clone()));
            }
            let growth = escaped_len(text, false) as isize - escaped_len(was, false) as isize;
            grown.insert(std::rc::Rc::as_ptr(&placed.node), growth);
            let mut at = chain.first().unwrap_or(&top).clone();
            loop {
                let key = std::rc::Rc::as_ptr(&at);
                *grown.entry(key).or_default() += growth;
                if key == html {
                    break;
                }
                at = up[&key].clone();
            }
        }
        // The texts changed; their prints and those above them, sealed later from the texts
        // up (an element after all of its changed children: deepest first).
        let mut unsealed = Vec::with_capacity(changes.len() + elements.len());
        for (at, text) in &changes {
            let node = self.placed[*at].node.clone();
            if let NodeData::Text { contents } = &node.data {
                *contents.borrow_mut() = text.as_str().into();
            }
            unsealed.push(node);
        }
        elements.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
        unsealed.extend(elements.into_iter().map(|(_, element)| element));
        self.unsealed = unsealed;
        // Where the texts are written in the new render.
        let mut shift = 0isize;
        let mut changed = changes.iter().peekable();
        for (at, placed) in self.placed.iter_mut().enumerate() {
            let old_len = placed.end - placed.start;
            placed.start = placed.start.wrapping_add_signed(shift);
            placed.end = placed.start + old_len;
            if let Some((_, text)) = changed.next_if(|(i, _)| *i == at) {
                placed.end = placed.start + text.len();
                shift += text.len() as isize - old_len as isize;
            }
        }
        Some(grown)
    }

    /// Seals the prints a change in place left stale.
    fn seal_pending(&mut self) {
        for node in std::mem::take(&mut self.unsealed) {
            self.seal(&node);
        }
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

/// The patch for a save that changed only texts in the body (a heading, a sentence, a line of
/// a partial every row includes), without parsing the new render: the tree kept for `old`
/// becomes the new one's, its text nodes changed in place, and the diff then runs as if both
/// had been parsed, reading the nodes that changed from what [`Tree::set_texts`] gives (the
/// prints above them are sealed again after the patch is sent: [`settle`]). `Some` with the diff's
/// answer when that applied; `None`, and the kept tree left as it was, when the renders must be
/// parsed.
///
/// It applies when cutting both renders before each `<` gives the same number of pieces, and
/// each piece that differs differs only inside the text its piece ends with, a text the parse
/// placed there ([`super::parse`]). Both the old and the new text must hold no character
/// reference, carriage return or NUL, have something other than white space, and start with
/// the same white space; and the text must be in the body, in elements the diff descends into.
/// The parser then builds the same tree from the new render, those texts aside.
fn patched_in_place(old: &str, new: &str) -> Option<Option<Vec<PatchOp>>> {
    let mut tree = Parsed::kept(old, xxhash_rust::xxh3::xxh3_64(old.as_bytes()))?;
    let Some(grown) = tree.set_texts(old, new) else {
        Parsed::keep(tree);
        return None;
    };
    tree.hash = xxhash_rust::xxh3::xxh3_64(new.as_bytes());
    tree.len = new.len();
    let ops = ops(View::of(&tree), View::of(&tree), new.len(), Some(&grown));
    Parsed::keep(tree);
    Some(ops)
}

/// The placed texts (by index in `placed`) that `old` and `new` differ in, with their new text;
/// `None` when they differ anywhere else. The pieces are cut before each `<`: a piece that
/// changed must have changed within the text it ends with.
fn changed_texts(old: &str, new: &str, placed: &[Placed]) -> Option<Vec<(usize, String)>> {
    let cuts = |html: &str| {
        html.match_indices('<')
            .map(|(at, _)| at)
            .chain([html.len()])
            .collect::<Vec<_>>()
    };
    let (old_cuts, new_cuts) = (cuts(old), cuts(new));
    if old_cuts.len() != new_cuts.len() {
        return None;
    }
    let mut changes: Vec<(usize, String)> = Vec::new();
    let (mut old_start, mut new_start) = (0, 0);
    for (&old_end, &new_end) in old_cuts.iter().zip(&new_cuts) {
        let (was, is) = (&old[old_start..old_end], &new[new_start..new_end]);
        if was != is {
            let (same_start, same_end) = common_ends(was, is);
            let (from, to) = (old_start + same_start, old_end - same_end);
            let at = placed.partition_point(|p| p.start <= from).checked_sub(1)?;
            let text = &placed[at];
            if to > text.end || changes.last().is_some_and(|(last, _)| *last == at) {
                return None;
            }
            changes.push((
                at,
                format!(
                    "{}{}{}",
                    &old[text.start..from],
                    &is[same_start..is.len() - same_end],
                    &old[to..text.end]
                ),
            ));
        }
        (old_start, new_start) = (old_end, new_end);
    }
    Some(changes)
}

/// The lengths of the longest start and end `a` and `b` share, on character boundaries and not
/// overlapping.
fn common_ends(a: &str, b: &str) -> (usize, usize) {
    let (a_bytes, b_bytes) = (a.as_bytes(), b.as_bytes());
    let mut start = a_bytes
        .iter()
        .zip(b_bytes)
        .take_while(|(x, y)| x == y)
        .count();
    while !a.is_char_boundary(start) || !b.is_char_boundary(start) {
        start -= 1;
    }
    let most = a.len().min(b.len()) - start;
    let mut end = a_bytes
        .iter()
        .rev()
        .zip(b_bytes.iter().rev())
        .take(most)
        .take_while(|(x, y)| x == y)
        .count();
    while !a.is_char_boundary(a.len() - end) || !b.is_char_boundary(b.len() - end) {
        end -= 1;
    }
    (start, end)
}

/// A text the parser reads as it is written, whatever surrounds it: no character reference,
/// carriage return or NUL, and not white space alone (which some places put elsewhere).
fn plain(text: &str) -> bool {
    !text.contains(['<', '&', '\r', '\0']) && !text.trim().is_empty()
}

/// The white space a text starts with (a `<pre>` drops a first line break).
fn leading(text: &str) -> &str {
    &text[..text.len() - text.trim_start().len()]
}

struct Diff<'t> {
    old: View<'t>,
    new: View<'t>,
    /// For a diff made in place (both views one tree, its prints the old render's): the nodes
    /// that changed, and by how much their HTML grew.
    in_place: Option<&'t Grown>,
    ops: Vec<PatchOp>,
    size: usize,
}

impl Diff<'_> {
    /// Whether `old` and `new` differ. In place, a node differs from itself when its text or
    /// a text below it changed (and so its print would): the small map of what changed says
    /// so, without a look into the tree's prints (a big page's diff is bound by memory).
    fn differs(&self, old: &Handle, new: &Handle) -> bool {
        if let Some(grown) = self.in_place
            && std::rc::Rc::ptr_eq(old, new)
        {
            return grown.contains_key(&std::rc::Rc::as_ptr(old));
        }
        self.old.fingerprint(old) != self.new.fingerprint(new)
    }

    /// The length of the new `node`'s HTML, as [`serialized`] writes it.
    fn new_len(&self, node: &Handle) -> usize {
        let growth = self
            .in_place
            .and_then(|grown| grown.get(&std::rc::Rc::as_ptr(node)))
            .copied()
            .unwrap_or(0);
        self.new.html_len(node).wrapping_add_signed(growth)
    }

    /// `<html>`'s attributes, the head's title, and the body, diffed.
    fn document(&mut self) -> Option<()> {
        let (old, new) = (&self.old.tree.html, &self.new.tree.html);
        if !same_attributes(old, new) {
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
        if !self.differs(old_body, new_body) {
            return Some(());
        }
        if tag(old_body) != tag(new_body) || !same_shape(old_body, new_body) {
            return None;
        }
        let path = vec![1];
        let tags = vec![tag(new_body)?.to_string()];
        if !same_attributes(old_body, new_body) {
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
        if !self.differs(old, new) {
            return Some(());
        }
        let (old_children, new_children) = (old.children.borrow(), new.children.borrow());
        if old_children.len() != new_children.len() || !same_attributes(old, new) {
            return None;
        }
        let mut title = None;
        for (old, new) in old_children.iter().zip(new_children.iter()) {
            if !self.differs(old, new) {
                continue;
            }
            if tag(old) != Some("title") || tag(new) != Some("title") || title.is_some() {
                return None;
            }
            if !same_attributes(old, new) {
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
            in_place: self.in_place,
            ops: Vec::new(),
            size: 0,
        };
        let siblings = new
            .children
            .borrow()
            .iter()
            .filter(|c| tag(c).is_some())
            .count();
        let (old_children, new_children) = (old.children.borrow(), new.children.borrow());
        let nodes = new_children.len();
        let mut element = 0;
        for (index, (o, n)) in old_children.iter().zip(new_children.iter()).enumerate() {
            let changed = self.differs(o, n);
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
        let many = within.ops.len() > MANY;
        if many && let Some(rows) = rows_of_texts(&within.ops, path, tags, siblings) {
            let mut grouped = Diff {
                old: self.old,
                new: self.new,
                in_place: self.in_place,
                ops: Vec::new(),
                size: 0,
            };
            grouped.push(rows);
            if grouped.size < within.size {
                within = grouped;
            }
        }
        if let Some(own_siblings) = whole
            && many
            && self.new_len(new) + 32 < within.size
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
                && o.iter().zip(n.iter()).all(|(o, n)| !self.differs(o, n))
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
            if !same_attributes(old, new) {
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
            PatchOp::Texts {
                tags,
                rows,
                below_tags,
                texts,
                ..
            } => {
                tags.iter()
                    .chain(below_tags)
                    .chain(texts)
                    .map(String::len)
                    .sum::<usize>()
                    + rows.len() * 6
            }
            PatchOp::Element { html, tags, .. } => {
                html.len() + tags.iter().map(String::len).sum::<usize>()
            }
        } + 32;
        self.ops.push(op);
    }
}

/// The ops that came from the children of the element at `path` (`tags`), which has
/// `children` element children, as one [`PatchOp::Texts`]: when each is a text op for an
/// element at the same place in a different row, with the same checks, and nothing else.
fn rows_of_texts(
    ops: &[PatchOp],
    path: &[usize],
    tags: &[String],
    children: usize,
) -> Option<PatchOp> {
    let depth = path.len();
    let mut rows = Vec::with_capacity(ops.len());
    let mut texts = Vec::with_capacity(ops.len());
    let mut shape = None;
    for op in ops {
        let PatchOp::Text {
            path: at,
            tags: at_tags,
            siblings,
            index,
            nodes,
            text,
        } = op
        else {
            return None;
        };
        if at.len() <= depth {
            return None;
        }
        let this = (
            &at[depth + 1..],
            &at_tags[depth..],
            *siblings,
            *index,
            *nodes,
        );
        if shape.get_or_insert(this) != &this {
            return None;
        }
        if rows.last().is_some_and(|last| *last >= at[depth]) {
            return None;
        }
        rows.push(at[depth]);
        texts.push(text.clone());
    }
    let (below, below_tags, siblings, index, nodes) = shape?;
    if texts.iter().all(|text| *text == texts[0]) {
        texts.truncate(1);
    }
    Some(PatchOp::Texts {
        path: path.to_vec(),
        tags: tags.to_vec(),
        children,
        rows,
        below: below.to_vec(),
        below_tags: below_tags.to_vec(),
        siblings,
        index,
        nodes,
        texts,
    })
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

/// Whether two elements have the same attributes, in the same order (one node, changed in
/// place, has).
fn same_attributes(old: &Handle, new: &Handle) -> bool {
    if std::rc::Rc::ptr_eq(old, new) {
        return true;
    }
    match (&old.data, &new.data) {
        (NodeData::Element { attrs: old, .. }, NodeData::Element { attrs: new, .. }) => {
            let (old, new) = (old.borrow(), new.borrow());
            old.len() == new.len()
                && old
                    .iter()
                    .zip(new.iter())
                    .all(|(o, n)| o.name.local == n.name.local && o.value == n.value)
        }
        _ => attributes(old) == attributes(new),
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

fn template_print(tree: View<'_>, node: &Handle) -> Option<u64> {
    match &node.data {
        NodeData::Element {
            template_contents, ..
        } => template_contents
            .borrow()
            .as_ref()
            .map(|c| tree.fingerprint(c)),
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
    if std::rc::Rc::ptr_eq(old, new) {
        return true;
    }
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
                    View::of(&tree).html_len(&node),
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
        let patch = patched_in_place(&v1, &v2).expect("one text changed");
        assert_eq!(patch, parsed_in_full(&v1, &v2));
        assert!(
            matches!(patch.as_deref(), Some([PatchOp::Text { text, .. }]) if text == "Rows, edited")
        );
        // The tree kept is now the new render's: the next save starts from it, in place again
        // and in full, with the same result as from a fresh parse.
        assert_eq!(patched_in_place(&v2, &v3), Some(parsed_in_full(&v2, &v3)));
        let v4 = v3.replace("<ul>", "<ul><li>new</li>");
        assert_eq!(diff(&v3, &v4), parsed_in_full(&v3, &v4));
        let held = TREES.with_borrow(|trees| trees.iter().map(|t| t.hash).collect::<Vec<_>>());
        assert_eq!(held, vec![xxhash_rust::xxh3::xxh3_64(v4.as_bytes())]);
    }

    #[test]
    fn a_partial_every_row_includes_is_patched_in_place_as_the_full_diff_would() {
        let list = |heading: &str, label: &str| {
            page(&format!(
                "<h1>{heading}</h1>\n<ul>\n{}</ul>\n",
                (0..300)
                    .map(|i| format!(
                        "<li>\n  <a href=\"#row-{i}\">row {i}</a>\n  \
                         <span class=label>{label}</span>\n  <input name=q{i}>\n</li>\n"
                    ))
                    .collect::<String>()
            ))
        };
        let saves = [
            list("Rows", "label"),
            list("Rows", "label 1"),
            // Shorter, with the heading too, and past ASCII.
            list("Rows, edited", "lé"),
            list("Rows, edited", "a longer label than before"),
        ];
        remember(&saves[0]);
        for pair in saves.windows(2) {
            let patch = patched_in_place(&pair[0], &pair[1]).expect("texts alone changed");
            assert_eq!(patch, parsed_in_full(&pair[0], &pair[1]));
            let rows: usize = patch
                .expect("a patch")
                .iter()
                .map(|op| match op {
                    PatchOp::Texts { rows, .. } => rows.len(),
                    _ => 0,
                })
                .sum();
            assert_eq!(rows, 300, "every row's label, in one op");
            assert_kept_as_parsed(&pair[1]);
        }
        // A text that is most of the page, doubled: the patch is measured against the page's
        // new length (the old one is smaller than the patch).
        let (short, long) = (
            page(&format!("<p>{}</p>", "a".repeat(3000))),
            page(&format!("<p>{}</p>", "b".repeat(6000))),
        );
        remember(&short);
        let patch = patched_in_place(&short, &long).expect("a text alone changed");
        assert!(patch.is_some());
        assert_eq!(patch, parsed_in_full(&short, &long));
        remember(&saves[3]);
        // A change of structure is diffed in full, from the tree kept.
        let added = saves[3].replace("<ul>", "<ul><li>new</li>");
        assert_eq!(patched_in_place(&saves[3], &added), None);
        assert_eq!(diff(&saves[3], &added), parsed_in_full(&saves[3], &added));
    }

    /// The tree kept for `html` is the one a fresh parse builds: the same fingerprint for the
    /// whole page, and the same texts placed at the same bytes.
    fn assert_kept_as_parsed(html: &str) {
        let hash = xxhash_rust::xxh3::xxh3_64(html.as_bytes());
        let kept = Parsed::kept(html, hash).expect("a tree kept for the render");
        let fresh = Tree::parse(html, hash).expect("a document");
        let places = |tree: &Tree| {
            tree.placed
                .iter()
                .map(|p| (p.start, p.end, text_of_node(&p.node)))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            View::of(&kept).print(&kept.html),
            View::of(&fresh).print(&fresh.html),
            "{html}"
        );
        assert_eq!(places(&kept), places(&fresh), "{html}");
        Parsed::keep(kept);
    }

    fn text_of_node(node: &Handle) -> String {
        match &node.data {
            NodeData::Text { contents } => contents.borrow().to_string(),
            _ => String::new(),
        }
    }

    #[test]
    fn a_text_not_plain_or_outside_what_the_diff_descends_into_is_diffed_in_full() {
        let cases = [
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
            (page("<pre>line</pre>"), page("<pre>\nline</pre>")),
            // Text in SVG, in a script, in a custom element.
            (
                page("<svg><text>a</text></svg>"),
                page("<svg><text>b</text></svg>"),
            ),
            (
                page("<p>a</p><script>go()</script>"),
                page("<p>a</p><script>went()</script>"),
            ),
            (page("<x-card>a</x-card>"), page("<x-card>b</x-card>")),
        ];
        for (old, new) in cases {
            remember(&old);
            assert_eq!(patched_in_place(&old, &new), None, "{new}");
            remember(&old);
            assert_eq!(diff(&old, &new), parsed_in_full(&old, &new), "{new}");
        }
        // What the diff descends to, wherever the text is written: a table's cell, one of
        // several rows that read the same.
        for new in [
            rows("Rows", "row").replace(">cell<", ">cell 2<"),
            rows("Rows", "row 3"),
        ] {
            let old = rows("Rows", "row");
            remember(&old);
            assert_eq!(
                patched_in_place(&old, &new),
                Some(parsed_in_full(&old, &new))
            );
        }
    }

    /// Pages the tree builder rearranges (misplaced table text, misnested formatting, implied
    /// elements, raw text, foreign content), each with every text run edited in turn, and all
    /// of them at once, in ways that keep and that change how it parses: made in place or
    /// parsed, the patch is the full diff's and the tree kept is a fresh parse's.
    #[test]
    fn texts_changed_in_place_give_what_parsing_gives_whatever_the_page() {
        let bodies = [
            "<table>foo<tr><td>a</td></tr>bar</table><p>after</p>",
            "<table><b>x</b>y<tr><td>z</td></tr></table>",
            "<table>ab<input>ab<tr><td>c</td></tr></table>",
            "<table>ab<i>ab</i></table>",
            "<b>1<p>2</b>3</p>",
            "<a href=#>x<div>y</a>z</div>",
            "<p>a<p>b<ul><li>c<li>d</ul>",
            "<pre>x</pre><listing>y</listing><textarea>z</textarea>",
            "<select><option selected>one<option>two</select>",
            "<select><button><selectedcontent></selectedcontent></button>\
             <option selected>one</option></select>",
            "<p>a<!--c-->b</p><p>&lt;x</p><p>c > d</p><p>&eacute<b>é</b></p>",
            "<svg><text>t</text></svg><math><mi>m</mi></math><p>after</p>",
            "<noscript>n</noscript><template><p>t</p></template><p>u</p>",
            "<x-y>c</x-y><p>d</p>",
            "<p>a</p><plaintext>a<b>c",
        ];
        let edits: [fn(&str) -> String; 5] = [
            |run| format!("{run} edited"),
            |run| format!("edited {run}"),
            |_| "\n".into(),
            |run| format!("{run} &amp;"),
            |run| format!("\n{run}"),
        ];
        for body in bodies {
            let old = page(body);
            let runs: Vec<(usize, usize)> = old
                .match_indices('>')
                .filter_map(|(at, _)| {
                    let end = at + 1 + old[at + 1..].find('<')?;
                    (end > at + 1).then_some((at + 1, end))
                })
                .collect();
            for edit in edits {
                let mut saves: Vec<String> = runs
                    .iter()
                    .map(|&(start, end)| {
                        format!("{}{}{}", &old[..start], edit(&old[start..end]), &old[end..])
                    })
                    .collect();
                let mut all = old.clone();
                for &(start, end) in runs.iter().rev() {
                    all.replace_range(start..end, &edit(&old[start..end]));
                }
                saves.push(all);
                for new in saves {
                    remember(&old);
                    let full = parsed_in_full(&old, &new);
                    if let Some(patch) = patched_in_place(&old, &new) {
                        assert_eq!(patch, full, "{old}\n{new}");
                        assert_kept_as_parsed(&new);
                    }
                }
            }
        }
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
    fn the_same_text_changed_in_many_rows_is_one_op_naming_the_rows() {
        let list = |label: &dyn Fn(usize) -> String| {
            page(&format!(
                "<ul>{}</ul>",
                (0..40)
                    .map(|i| format!(
                        "<li><a href=/{i}>row {i}, with a long link</a> <span>{}</span></li>",
                        label(i)
                    ))
                    .collect::<String>()
            ))
        };
        let old = list(&|_| "label".into());
        let ops = diff(&old, &list(&|_| "tag".into())).unwrap();
        assert_eq!(
            ops,
            vec![PatchOp::Texts {
                path: vec![1, 0],
                tags: vec!["body".into(), "ul".into()],
                children: 40,
                rows: (0..40).collect(),
                below: vec![1],
                below_tags: vec!["li".into(), "span".into()],
                siblings: 2,
                index: 0,
                nodes: 1,
                texts: vec!["tag".into()],
            }]
        );
        // Each row its own text, and only the rows that changed.
        let ops = diff(
            &old,
            &list(&|i| {
                if i % 2 == 0 {
                    format!("tag {i}")
                } else {
                    "label".into()
                }
            }),
        )
        .unwrap();
        let [PatchOp::Texts { rows, texts, .. }] = ops.as_slice() else {
            panic!("{ops:?}")
        };
        assert_eq!(rows, &(0..40).step_by(2).collect::<Vec<_>>());
        assert_eq!(texts[3], "tag 6");
        // A row whose change is not the others' shape: each op on its own.
        let ops = diff(
            &old,
            &list(&|i| {
                if i == 7 {
                    "<b>tag</b>".into()
                } else {
                    "tag".into()
                }
            }),
        )
        .unwrap();
        assert!(ops.len() > 16 && !ops.iter().any(|op| matches!(op, PatchOp::Texts { .. })));
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
