//! The parse of a render the patch starts from: html5ever's tree (rcdom), and where in the
//! render each text node's text was written.
//!
//! html5ever reports no source positions, so the render is fed to it in pieces, each from one
//! `<` to the next: the tokenizer hands the text at a piece's end to the tree builder before
//! the piece is done, so a text node made while a piece was fed, with nothing added to it
//! later, whose text is the piece's tail after a `>`, was written there. Anything that breaks
//! that reading leaves the node without a place, and the patch then parses the new render in
//! full ([`super::patch`]):
//! - text the tree builder put somewhere other than the end of its parent (a table's
//!   misplaced text, moved before the table);
//! - text added to in a later piece (`a < b`, a comment between two runs is fine: two nodes);
//! - two text nodes made while one piece was fed (the second is a table's held-back text);
//! - a text that is not the piece's tail (a character reference, `<pre>`'s dropped newline);
//! - any document where the parser copied text itself (an `<option>` into `<selectedcontent>`).

use html5ever::interface::{ElementFlags, NodeOrText, QualName, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{Attribute, ExpandedName, ParseOpts, parse_document};
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// Hashes a node's address for the maps keyed by node: addresses are already spread, so one
/// multiplication does (the default SipHash took a third of a big page's fingerprinting).
#[derive(Default)]
pub struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
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

pub type ByAddress = std::hash::BuildHasherDefault<AddressHasher>;

/// A text node and the bytes of the render its text was written at.
#[derive(Clone)]
pub struct Placed {
    pub start: usize,
    pub end: usize,
    pub node: Handle,
}

/// `html` parsed, with the text nodes whose place in it is known, in the order they were
/// written.
pub fn parse(html: &str) -> (RcDom, Vec<Placed>) {
    let recorder = Recorder {
        by_address: RefCell::new(HashMap::with_capacity_and_hasher(
            html.len() / 16,
            ByAddress::default(),
        )),
        ..Recorder::default()
    };
    let mut parser = parse_document(recorder, ParseOpts::default());
    let source = StrTendril::from_slice(html);
    let mut start = 0;
    for end in html
        .match_indices('<')
        .map(|(at, _)| at)
        .chain([html.len()])
    {
        if end > start {
            parser.tokenizer.sink.sink.piece.set((start, end));
            // A piece shares the source's buffer (offsets fit: a page is at most a few MB).
            parser.process(source.subtendril(start as u32, (end - start) as u32));
        }
        start = end;
    }
    let recorder = parser.finish();
    let placed = recorder.placed(html);
    (recorder.dom, placed)
}

/// What happened to a text node while the render was fed: the piece it was made in, and
/// whether anything made its place unknown.
struct Made {
    node: Handle,
    piece: (usize, usize),
    doubtful: bool,
}

/// rcdom's sink, noting the text nodes made and added to while each piece is fed.
#[derive(Default)]
struct Recorder {
    dom: RcDom,
    /// The piece of the render being fed.
    piece: Cell<(usize, usize)>,
    /// Text nodes, by address, in the order they were made.
    texts: RefCell<Vec<Made>>,
    by_address: RefCell<HashMap<*const markup5ever_rcdom::Node, usize, ByAddress>>,
    /// The parser copied text itself: no place is known.
    copied: Cell<bool>,
}

impl Recorder {
    /// Notes that the text node `node` was made or added to now; `doubtful` when not at its
    /// parent's end.
    fn touched(&self, node: Option<Handle>, doubtful: bool) {
        let Some(node) = node.filter(|n| matches!(n.data, NodeData::Text { .. })) else {
            return;
        };
        let piece = self.piece.get();
        let mut texts = self.texts.borrow_mut();
        // Most often, the text made last (a line break and the indent after it come apart).
        if let Some(last) = texts.last_mut()
            && Rc::ptr_eq(&last.node, &node)
        {
            last.doubtful |= doubtful || last.piece != piece;
            return;
        }
        let mut by_address = self.by_address.borrow_mut();
        match by_address.get(&Rc::as_ptr(&node)) {
            Some(&at) => {
                let made = &mut texts[at];
                made.doubtful |= doubtful || made.piece != piece;
            }
            None => {
                by_address.insert(Rc::as_ptr(&node), texts.len());
                texts.push(Made {
                    node,
                    piece,
                    doubtful,
                });
            }
        }
    }

    /// The text nodes whose place in `html` is sure.
    fn placed(&self, html: &str) -> Vec<Placed> {
        if self.copied.get() {
            return Vec::new();
        }
        let texts = self.texts.take();
        let mut placed: Vec<Placed> = Vec::with_capacity(texts.len());
        let mut last_piece = None;
        for made in texts {
            // A second text node made in the same piece: neither is sure.
            let (piece_start, end) = made.piece;
            if last_piece == Some(piece_start) {
                if placed.last().is_some_and(|p| p.end == end) {
                    placed.pop();
                }
                continue;
            }
            last_piece = Some(piece_start);
            if made.doubtful {
                continue;
            }
            let NodeData::Text { contents } = &made.node.data else {
                continue;
            };
            let len = contents.borrow().len();
            let Some(start) = end.checked_sub(len).filter(|s| *s > piece_start) else {
                continue;
            };
            let bytes = html.as_bytes();
            if bytes[start - 1] == b'>' && bytes[start..end] == *str::as_bytes(&contents.borrow()) {
                placed.push(Placed {
                    start,
                    end,
                    node: made.node,
                });
            }
        }
        placed
    }
}

/// The last child of `parent`.
fn last_child(parent: &Handle) -> Option<Handle> {
    parent.children.borrow().last().cloned()
}

/// The child before `sibling`.
fn before(sibling: &Handle) -> Option<Handle> {
    let parent = sibling.parent.take();
    let handle = parent.as_ref().and_then(|p| p.upgrade());
    sibling.parent.set(parent);
    let parent = handle?;
    let children = parent.children.borrow();
    let at = children.iter().position(|c| Rc::ptr_eq(c, sibling))?;
    at.checked_sub(1).map(|i| children[i].clone())
}

impl TreeSink for Recorder {
    type Handle = Handle;
    type Output = Self;
    type ElemName<'a> = ExpandedName<'a>;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.dom.parse_error(msg);
    }

    fn get_document(&self) -> Handle {
        self.dom.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> ExpandedName<'a> {
        self.dom.elem_name(target)
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Handle {
        self.dom.create_element(name, attrs, flags)
    }

    fn create_comment(&self, text: StrTendril) -> Handle {
        self.dom.create_comment(text)
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> Handle {
        self.dom.create_pi(target, data)
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        let text = matches!(child, NodeOrText::AppendText(_));
        self.dom.append(parent, child);
        if text {
            self.touched(last_child(parent), false);
        }
    }

    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: NodeOrText<Handle>,
    ) {
        // Only a table's misplaced content comes this way: its text's place is unknown.
        let text = matches!(child, NodeOrText::AppendText(_));
        let parent = element.parent.take();
        let has_parent = parent.is_some();
        element.parent.set(parent);
        if has_parent {
            self.dom.append_before_sibling(element, child);
            if text {
                self.touched(before(element), true);
            }
        } else {
            self.dom.append(prev_element, child);
            if text {
                self.touched(last_child(prev_element), true);
            }
        }
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.dom
            .append_doctype_to_document(name, public_id, system_id);
    }

    fn mark_script_already_started(&self, node: &Handle) {
        self.dom.mark_script_already_started(node);
    }

    fn pop(&self, node: &Handle) {
        self.dom.pop(node);
    }

    fn get_template_contents(&self, target: &Handle) -> Handle {
        self.dom.get_template_contents(target)
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        self.dom.same_node(x, y)
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.dom.set_quirks_mode(mode);
    }

    fn append_before_sibling(&self, sibling: &Handle, child: NodeOrText<Handle>) {
        let text = matches!(child, NodeOrText::AppendText(_));
        self.dom.append_before_sibling(sibling, child);
        if text {
            self.touched(before(sibling), true);
        }
    }

    fn add_attrs_if_missing(&self, target: &Handle, attrs: Vec<Attribute>) {
        self.dom.add_attrs_if_missing(target, attrs);
    }

    fn associate_with_form(
        &self,
        target: &Handle,
        form: &Handle,
        nodes: (&Handle, Option<&Handle>),
    ) {
        self.dom.associate_with_form(target, form, nodes);
    }

    fn remove_from_parent(&self, target: &Handle) {
        self.dom.remove_from_parent(target);
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        self.dom.reparent_children(node, new_parent);
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Handle) -> bool {
        self.dom.is_mathml_annotation_xml_integration_point(handle)
    }

    fn set_current_line(&self, line_number: u64) {
        self.dom.set_current_line(line_number);
    }

    fn allow_declarative_shadow_roots(&self, intended_parent: &Handle) -> bool {
        self.dom.allow_declarative_shadow_roots(intended_parent)
    }

    fn attach_declarative_shadow(
        &self,
        location: &Handle,
        template: &Handle,
        attrs: &[Attribute],
    ) -> bool {
        self.dom
            .attach_declarative_shadow(location, template, attrs)
    }

    fn maybe_clone_an_option_into_selectedcontent(&self, option: &Handle) {
        self.copied.set(true);
        self.dom.maybe_clone_an_option_into_selectedcontent(option);
    }
}
