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
//! [`MAX_DEPTH`](super::kept::MAX_DEPTH) or is bigger than [`MAX_PAGE`], or when the patch
//! would be bigger than the page or [`MAX_PATCH`].

use super::in_place;
use super::kept::{Grown, Parsed, Tree};
use super::nodes::{
    attributes, descends, elements, holds_script, same_attributes, same_shape, serialized, tag,
    text_of,
};
use crate::base::PatchOp;
use markup5ever_rcdom::{Handle, NodeData};

pub use super::kept::{MAX_PAGE, remember, settle};

/// The most a patch may hold (the HTML of its elements): past it, the pages fetch.
pub const MAX_PATCH: usize = 256 * 1024;

/// When more than this many ops come from an element's children, text ops at the same place
/// in each row are grouped, and the element is sent whole if that is smaller.
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
    let ops = ops(&old_tree, &new_tree, new.len(), None);
    // The new render is what the next diff starts from.
    Parsed::keep(new_tree);
    ops
}

/// The diff of two trees, `None` when the pages should fetch; `new_len` is the new render's
/// length.
fn ops(old: &Tree, new: &Tree, new_len: usize, in_place: Option<&Grown>) -> Option<Vec<PatchOp>> {
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
        diff.new_len(&new.html)
    } else {
        new_len
    };
    (diff.size <= MAX_PATCH && diff.size <= page).then_some(diff.ops)
}

/// The patch for a save that changed only texts in the body (a heading, a sentence, a line of
/// a partial every row includes), without parsing the new render: the tree kept for `old`
/// becomes the new one's, its text nodes changed in place, and the diff then runs as if both
/// had been parsed, reading the nodes that changed from what [`in_place::set_texts`] gives (the
/// prints above them are sealed again after the patch is sent: [`settle`]). `Some` with the diff's
/// answer when that applied; `None`, and the kept tree left as it was, when the renders must be
/// parsed.
///
/// When it applies is [`in_place`]'s to say.
fn patched_in_place(old: &str, new: &str) -> Option<Option<Vec<PatchOp>>> {
    let mut tree = Parsed::kept(old, xxhash_rust::xxh3::xxh3_64(old.as_bytes()))?;
    let Some(grown) = in_place::set_texts(&mut tree, old, new) else {
        Parsed::keep(tree);
        return None;
    };
    tree.hash = xxhash_rust::xxh3::xxh3_64(new.as_bytes());
    tree.len = new.len();
    let ops = ops(&tree, &tree, new.len(), Some(&grown));
    Parsed::keep(tree);
    Some(ops)
}

struct Diff<'t> {
    old: &'t Tree,
    new: &'t Tree,
    /// For a diff made in place (old and new one tree, its prints the old render's): the nodes
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
        let (old, new) = (&self.old.html, &self.new.html);
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

fn template_print(tree: &Tree, node: &Handle) -> Option<u64> {
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

#[cfg(test)]
mod tests {
    use super::super::kept::{KEPT_HTML, KEPT_TREES, MAX_DEPTH, TREES, Tree};
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
            (kept.fingerprint(&kept.html), kept.html_len(&kept.html)),
            (fresh.fingerprint(&fresh.html), fresh.html_len(&fresh.html)),
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
