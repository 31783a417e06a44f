//! A save that changed only texts in the body (a heading, a sentence, a line of a partial
//! every row includes), applied to the tree kept for the old render without parsing the new
//! one ([`super::patch`] then diffs that one tree).
//!
//! It applies when cutting both renders before each `<` gives the same number of pieces, and
//! each piece that differs differs only inside the text its piece ends with, a text the parse
//! placed there ([`super::parse`]). Both the old and the new text must hold no character
//! reference, carriage return or NUL, have something other than white space, and start with
//! the same white space; and the text must be in the body, in elements the diff descends into.
//! The parser then builds the same tree from the new render, those texts aside.

use super::kept::{Grown, Tree};
use super::nodes::{descends, escaped_len, parent, tag};
use super::parse::{ByAddress, Placed};
use markup5ever_rcdom::{Handle, NodeData};
use std::collections::HashMap;

/// Changes the placed text nodes the two renders differ in, when nothing else differs and
/// the new render would parse to this tree with the new texts, and gives the nodes that
/// changed (the texts and the elements above them) with how much longer each one's HTML
/// got; `None`, changing nothing, otherwise. Their prints are left as they were, the old
/// render's, for the diff to read; they are sealed again after it ([`super::patch::settle`]).
pub(super) fn set_texts(tree: &mut Tree, old: &str, new: &str) -> Option<Grown> {
    let changes = changed_texts(old, new, &tree.placed)?;
    // Each text, and the elements from its parent up to `<html>`, checked as in the diff:
    // under `<body>`, in elements it descends into. An element seen for an earlier text
    // was checked with all above it; each one's depth orders the sealing, and its parent
    // (none for `<html>`) carries a text's growth up.
    let mut seen: HashMap<*const markup5ever_rcdom::Node, (usize, Option<Handle>), ByAddress> =
        HashMap::from_iter([(std::rc::Rc::as_ptr(&tree.html), (0, None))]);
    let mut grown = Grown::default();
    let mut elements = vec![(0, tree.html.clone())];
    for (at, text) in &changes {
        let placed = &tree.placed[*at];
        let was = &old[placed.start..placed.end];
        if !plain(was) || !plain(text) || leading(was) != leading(text) {
            return None;
        }
        let mut chain = Vec::new();
        let mut node = parent(&placed.node);
        let (mut depth, top) = loop {
            let element = node.filter(|e| tag(e).is_some())?;
            if let Some((depth, _)) = seen.get(&std::rc::Rc::as_ptr(&element)) {
                break (*depth, element);
            }
            node = parent(&element);
            chain.push(element);
        };
        // Below `<html>` (depth 0), only `<body>`.
        if depth == 0 && chain.last().and_then(tag) != Some("body") || !chain.iter().all(descends) {
            return None;
        }
        for (i, element) in chain.iter().enumerate().rev() {
            depth += 1;
            let parent = chain.get(i + 1).unwrap_or(&top).clone();
            seen.insert(std::rc::Rc::as_ptr(element), (depth, Some(parent)));
            elements.push((depth, element.clone()));
        }
        let growth = escaped_len(text, false) as isize - escaped_len(was, false) as isize;
        grown.insert(std::rc::Rc::as_ptr(&placed.node), growth);
        let mut at = Some(chain.first().unwrap_or(&top).clone());
        while let Some(element) = at {
            let key = std::rc::Rc::as_ptr(&element);
            *grown.entry(key).or_default() += growth;
            at = seen[&key].1.clone();
        }
    }
    // The texts changed; their prints and those above them, sealed later from the texts
    // up (an element after all of its changed children: deepest first).
    let mut unsealed = Vec::with_capacity(changes.len() + elements.len());
    for (at, text) in &changes {
        let node = tree.placed[*at].node.clone();
        if let NodeData::Text { contents } = &node.data {
            *contents.borrow_mut() = text.as_str().into();
        }
        unsealed.push(node);
    }
    elements.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
    unsealed.extend(elements.into_iter().map(|(_, element)| element));
    tree.unsealed = unsealed;
    // Where the texts are written in the new render.
    let mut shift = 0isize;
    let mut changed = changes.iter().peekable();
    for (at, placed) in tree.placed.iter_mut().enumerate() {
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
