//! Small questions the patch asks of rcdom's nodes: a node's tag, parent, attributes and
//! children, whether the diff may go into it, and how the serializer writes it.

use html5ever::serialize::{SerializeOpts, TraversalScope, serialize};
use markup5ever_rcdom::{Handle, NodeData, SerializableHandle};

/// Elements the serializer writes without an end tag.
pub(super) fn is_void(name: &str) -> bool {
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
pub(super) fn escaped_len(text: &str, attribute: bool) -> usize {
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

/// `node` and what it holds, as HTML.
pub(super) fn serialized(node: &Handle) -> Option<String> {
    let mut html = Vec::new();
    let opts = SerializeOpts {
        traversal_scope: TraversalScope::IncludeNode,
        ..Default::default()
    };
    serialize(&mut html, &SerializableHandle::from(node.clone()), opts).ok()?;
    String::from_utf8(html).ok()
}

/// `node`'s parent (rcdom keeps it in a `Cell`, so it is taken out and put back).
pub(super) fn parent(node: &Handle) -> Option<Handle> {
    let parent = node.parent.take();
    let handle = parent.as_ref().and_then(|p| p.upgrade());
    node.parent.set(parent);
    handle
}

pub(super) fn tag(node: &Handle) -> Option<&str> {
    match &node.data {
        NodeData::Element { name, .. } => Some(&name.local),
        _ => None,
    }
}

pub(super) fn attributes(node: &Handle) -> Vec<(String, String)> {
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
pub(super) fn same_attributes(old: &Handle, new: &Handle) -> bool {
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

pub(super) fn elements(node: &Handle) -> Vec<Handle> {
    node.children
        .borrow()
        .iter()
        .filter(|child| tag(child).is_some())
        .cloned()
        .collect()
}

pub(super) fn text_of(node: &Handle) -> String {
    node.children
        .borrow()
        .iter()
        .filter_map(|child| match &child.data {
            NodeData::Text { contents } => Some(contents.borrow().to_string()),
            _ => None,
        })
        .collect()
}

/// Whether the diff may go into the element's children. Not into what the morph treats as one
/// piece (a script, a textarea's text, a template, a custom element that renders itself), nor
/// into SVG or MathML (an element sent from inside them would be parsed as HTML).
pub(super) fn descends(node: &Handle) -> bool {
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
pub(super) fn same_shape(old: &Handle, new: &Handle) -> bool {
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
pub(super) fn holds_script(node: &Handle) -> bool {
    let mut stack = vec![node.clone()];
    while let Some(node) = stack.pop() {
        if matches!(tag(&node), Some("script" | "noscript" | "template")) {
            return true;
        }
        stack.extend(node.children.borrow().iter().cloned());
    }
    false
}
