//! JavaScript modules on their way out (dev mode only).
//!
//! 1. [`analyze`] parses a module with oxc and lists what the graph needs: every module
//!    specifier it names (static `import`, `export … from`, `import()` with a string literal,
//!    `new URL('x', import.meta.url)`), whether it mentions `import.meta.hot`, and what its
//!    `import.meta.hot.accept(…)` calls accept. A module that does not parse gives a
//!    [`SyntaxError`] with its line, column and code frame.
//! 2. [`rewrite`] gives a module that mentions `import.meta.hot` a one-line prologue binding it
//!    from the runtime, and replaces the specifiers the caller asks to (the graph adds `?t=` to
//!    those of changed dependencies). The prologue goes on the first line, so every line number
//!    in a stack trace stays the file's own.
//!
//! oxc parses and visits recursively, so a deeply nested module could overflow the stack and
//! abort the process. [`analyze`] first estimates from above how deep it would go
//! ([`super::nesting`], one pass over the bytes) and refuses a module deeper than [`MAX_NESTING`] or
//! bigger than [`MAX_BYTES`]; it then parses on the pool's large stack
//! (`pool::on_big_stack`), which holds several times what [`MAX_NESTING`] needs. A
//! refused module is served as it is, without hot updates, and the overlay says why.

use super::ByContent;
use crate::base::{ErrorReport, SitePath};
use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, ArrayExpressionElement, CallExpression, ExportAllDeclaration, ExportFromDeclaration,
    Expression, ImportDeclaration, ImportExpression, NewExpression, StaticMemberExpression,
    StringLiteral, TemplateLiteral,
};
use oxc_ast_visit::{Visit, walk};
use oxc_diagnostics::OxcDiagnostic;
use oxc_parser::Parser;
use oxc_span::{SourceType, Span};
use std::sync::Arc;

/// What a module names and accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Every specifier, in source order.
    pub specifiers: Vec<Specifier>,
    /// Whether the module mentions `import.meta.hot` at all.
    pub uses_hot: bool,
    /// Whether it has `import` or `export` statements: an ES module for sure (a file of a
    /// package without them is taken for CommonJS).
    pub module_syntax: bool,
    pub accepts: Accepts,
    /// The string literals among the dependencies `accept(…)` names, where they are written
    /// (resolution may rewrite them, as it does imports).
    pub accepted: Vec<Specifier>,
    /// Whether it runs the same from any URL once its specifiers are absolute: it reads
    /// `import.meta` only as `.hot`, `.env`, `import(import.meta.url)` or the base of a
    /// `new URL('./path', import.meta.url)`, and every `import()` names a string. Such a
    /// module can be pushed in a message and imported from a `data:` URL
    /// ([`rewrite_pushed`]).
    pub pushable: bool,
}

/// Where a specifier is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// In an `import`, an `export … from` or an `import()`.
    Import,
    /// In a `new URL(…, import.meta.url)`.
    Url,
    /// In an `import.meta.hot.accept(…)`.
    Accept,
}

/// What a module's `import.meta.hot.accept(…)` calls accept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accepts {
    /// `accept()` or `accept(cb)`: the module replaces itself.
    pub itself: bool,
    /// `accept('./dep.js', cb)` or `accept(['./a.js', './b.js'], cb)`, as written.
    pub deps: Vec<String>,
}

/// One module specifier as written in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Specifier {
    pub text: String,
    /// Named by `new URL(…, import.meta.url)`: the file itself is wanted, not a module.
    pub as_url: bool,
    /// Byte range of the string literal, quotes included.
    pub start: u32,
    pub end: u32,
}

/// The deepest nesting [`analyze`] accepts, as [`super::nesting`] estimates it. The deepest shapes
/// take oxc about 3.5 KB of stack a level in a debug build (2.2 KB optimized), so this needs
/// about 35 MB of the pool's `STACK`. Hand-written and minified code
/// stays far below it.
pub const MAX_NESTING: usize = 10_000;

/// The largest module [`analyze`] parses.
pub const MAX_BYTES: usize = 32 << 20;

/// Why a module was not analyzed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnalysisError {
    /// It does not parse: the browser would fail on it too.
    Syntax(SyntaxError),
    /// It is too deep or too big to analyze safely. It is served as it is, without hot
    /// updates; the reason says which limit it passed.
    Refused(String),
    /// It is written for a compiler hotplate does not have (Solid's JSX): the reason says
    /// which.
    Unsupported(String),
}

impl AnalysisError {
    /// The overlay's report for the file `file`.
    pub fn report(self, file: &SitePath) -> ErrorReport {
        match self {
            AnalysisError::Syntax(error) => error.report(file),
            AnalysisError::Refused(reason) => ErrorReport::about_file(
                file.as_str(),
                format!("{file} {reason}: hotplate serves it as it is, without hot updates"),
            ),
            AnalysisError::Unsupported(reason) => ErrorReport::about_file(file.as_str(), reason),
        }
    }
}

/// A module that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub frame: String,
}

impl SyntaxError {
    /// The overlay's report for the file `file` that has this error.
    pub fn report(self, file: &SitePath) -> ErrorReport {
        ErrorReport {
            message: self.message,
            file: Some(file.to_string()),
            line: Some(self.line),
            column: Some(self.column),
            frame: self.frame,
        }
    }
}

/// Parses `source` as an ES module. A file that is no module but a valid classic script
/// (`<script src>` without `type=module`) names nothing and is no error. A module deeper than
/// [`MAX_NESTING`] or bigger than [`MAX_BYTES`] is refused before oxc sees it; the rest is
/// parsed on the pool's large stack.
pub fn analyze(source: &str) -> Result<Analysis, AnalysisError> {
    check_limits(source)?;
    let source = source.to_string();
    crate::pool::on_big_stack(move || parse(&source)).map_err(AnalysisError::Syntax)
}

/// Refuses a module bigger than [`MAX_BYTES`] or deeper than [`MAX_NESTING`], before oxc
/// sees it.
pub fn check_limits(source: &str) -> Result<(), AnalysisError> {
    if source.len() > MAX_BYTES {
        return Err(AnalysisError::Refused(format!(
            "is {} MB, more than the {} MB hotplate analyzes",
            source.len() >> 20,
            MAX_BYTES >> 20
        )));
    }
    let nesting = super::nesting::nesting(source);
    if nesting > MAX_NESTING {
        return Err(AnalysisError::Refused(format!(
            "nests about {nesting} levels deep, more than the {MAX_NESTING} hotplate analyzes"
        )));
    }
    Ok(())
}

fn parse(source: &str) -> Result<Analysis, SyntaxError> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, SourceType::mjs()).parse();
    if let Some(error) = parsed.diagnostics.iter().next() {
        let script = Parser::new(&allocator, source, SourceType::script()).parse();
        if script.diagnostics.is_empty() {
            return Ok(Analysis::default());
        }
        return Err(syntax_error(source, error));
    }
    let mut collector = Collector::default();
    collector.visit_program(&parsed.program);
    collector.analysis.pushable =
        collector.meta == collector.meta_known && !collector.computed_import;
    collector.analysis.module_syntax = parsed
        .program
        .body
        .iter()
        .any(|statement| statement.is_module_declaration());
    Ok(collector.analysis)
}

/// The error oxc reported for `source`, with its line, column and code frame.
pub fn syntax_error(source: &str, error: &OxcDiagnostic) -> SyntaxError {
    let offset = error
        .labels
        .first()
        .map_or(0, |label| label.offset() as usize);
    let (line, column) = line_column(source, offset);
    SyntaxError {
        message: format!("SyntaxError: {}", error.message),
        line,
        column,
        frame: crate::base::code_frame(source, line, Some(column)),
    }
}

/// The last analysis of each file, by a hash of its content: a module served again unchanged
/// (on every page load) is not parsed again. Parsing a 2 MB library takes oxc 30–50 ms here;
/// hashing it, about 1 ms.
#[derive(Default)]
pub struct AnalysisCache {
    analyses: ByContent<Analyzed>,
}

/// What [`analyze`] made of one version of a file.
type Analyzed = Result<Arc<Analysis>, AnalysisError>;

impl AnalysisCache {
    /// [`analyze`], unless the file called `key` had this very content last time.
    pub fn analyze(&self, key: &str, source: &str) -> Analyzed {
        self.analyses
            .get_or_insert(key, source, || analyze(source).map(Arc::new))
    }

    /// Forgets a file that was deleted.
    pub fn forget(&self, key: &str) {
        self.analyses.forget(key);
    }
}

/// `source` with the hot-context prologue (when `prologue` is given and the module mentions
/// `import.meta.hot`) and each specifier for which `replace` returns a new value replaced.
pub fn rewrite(
    source: &str,
    analysis: &Analysis,
    prologue: Option<&str>,
    replace: impl Fn(&str, Place) -> Option<String>,
) -> String {
    let prologue = prologue.map(|p| vec![p.to_string()]);
    let mut pieces = splice(source, analysis, prologue, |text, place| {
        replace(text, place).map(|new| (new, false))
    });
    match pieces.len() {
        1 => pieces.remove(0),
        _ => pieces.concat(),
    }
}

/// [`rewrite`] for a module pushed in a message and imported from a `data:` URL, where nothing
/// resolves against the module's own URL `url` (its path and query): every specifier that
/// names a path is written absolute, from the page's own origin. The origin is the page's to
/// give (the same server may be `localhost` in one tab and `127.0.0.1` in another), so the
/// text comes in pieces, to be joined with it (`pieces.join(location.origin)`). It ends with a
/// `sourceURL` comment, so stack traces and DevTools name the file. `runtime` is where the
/// hot-context prologue imports from (`/__hotplate/<boot>/hot.js`). Only for a module whose
/// analysis says it is [`Analysis::pushable`].
pub fn rewrite_pushed(
    source: &str,
    analysis: &Analysis,
    runtime: &str,
    url: &str,
    replace: impl Fn(&str, Place) -> Option<String>,
) -> Vec<String> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let quote = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let prologue = vec![
        "import { createHotContext as __hotplate_context } from \"".to_string(),
        format!(
            "{}; import.meta.hot = __hotplate_context({}); ",
            &quote(runtime)[1..],
            quote(path)
        ),
    ];
    let mut pieces = splice(source, analysis, Some(prologue), |text, place| {
        let new = replace(text, place);
        if place == Place::Accept {
            // `accept` names modules by path, resolved against the module's path by the
            // runtime, never against its URL.
            return new.map(|new| (new, false));
        }
        let new = made_absolute(path, new.as_deref().unwrap_or(text));
        let from_origin = new.starts_with('/') && !new.starts_with("//");
        (from_origin || new != text).then_some((new, from_origin))
    });
    let last = pieces.last_mut().expect("one piece at least");
    last.push_str("\n//# sourceURL=");
    pieces.push(url.to_string());
    pieces
}

/// `source` with the prologue first, and each specifier for which `replace` returns a new
/// value written in its place: one piece, cut after the opening quote of each specifier
/// `replace` says to (`(new, true)`).
fn splice(
    source: &str,
    analysis: &Analysis,
    prologue: Option<Vec<String>>,
    replace: impl Fn(&str, Place) -> Option<(String, bool)>,
) -> Vec<String> {
    // The prologue's last piece is where the module's text goes on.
    let mut pieces = match (prologue, analysis.uses_hot) {
        (Some(prologue), true) => prologue,
        _ => Vec::new(),
    };
    let mut out = pieces.pop().unwrap_or_default();
    out.reserve(source.len() + 160);
    let mut written: Vec<(&Specifier, Place)> = analysis
        .specifiers
        .iter()
        .map(|s| (s, if s.as_url { Place::Url } else { Place::Import }))
        .chain(analysis.accepted.iter().map(|s| (s, Place::Accept)))
        .collect();
    written.sort_by_key(|(s, _)| s.start);
    let mut cursor = 0;
    for (specifier, place) in written {
        let Some((new, cut)) = replace(&specifier.text, place) else {
            continue;
        };
        let (start, end) = (specifier.start as usize, specifier.end as usize);
        out.push_str(&source[cursor..start]);
        let literal = serde_json::to_string(&new).expect("a string serializes");
        if cut {
            out.push('"');
            pieces.push(std::mem::take(&mut out));
            out.push_str(&literal[1..]);
        } else {
            out.push_str(&literal);
        }
        cursor = end;
    }
    out.push_str(&source[cursor..]);
    pieces.push(out);
    pieces
}

/// `specifier` written in the module at the URL path `base`, as an absolute path when it is
/// relative (`./a.js` in `/src/b.js` → `/src/a.js`); its query and fragment are kept.
fn made_absolute(base: &str, specifier: &str) -> String {
    if !(specifier.starts_with("./") || specifier.starts_with("../")) {
        return specifier.to_string();
    }
    let (path, rest) = specifier.split_at(specifier.find(['?', '#']).unwrap_or(specifier.len()));
    let folder = &base[..base.rfind('/').map_or(0, |i| i + 1)];
    let joined = format!("{folder}{path}");
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let trailing = if path.ends_with('/') && !parts.is_empty() {
        "/"
    } else {
        ""
    };
    format!("/{}{trailing}{rest}", parts.join("/"))
}

/// The prologue that binds `import.meta.hot` for the module served at `url`, from the runtime
/// at `runtime` (`/__hotplate/<boot>/hot.js`).
pub fn prologue(runtime: &str, url: &str) -> String {
    let quote = |s: &str| serde_json::to_string(s).expect("a string serializes");
    format!(
        "import {{ createHotContext as __hotplate_context }} from {}; import.meta.hot = __hotplate_context({}); ",
        quote(runtime),
        quote(url)
    )
}

/// Whether a specifier names a path (`/`, `./`, `../`); bare names such as `react` name
/// packages (or what a page's import map maps), not files of the site by their URL.
pub fn names_a_path(specifier: &str) -> bool {
    specifier.starts_with('/') || specifier.starts_with("./") || specifier.starts_with("../")
}

fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[derive(Default)]
struct Collector {
    analysis: Analysis,
    /// Every `import.meta`, and those read in one of the ways that need no module URL.
    meta: usize,
    meta_known: usize,
    /// An `import()` of something other than a string or the module itself.
    computed_import: bool,
}

impl Collector {
    fn specifier(&mut self, literal: &StringLiteral) {
        self.analysis.specifiers.push(Specifier::of(literal));
    }

    fn url_specifier(&mut self, literal: &StringLiteral) {
        self.analysis.specifiers.push(Specifier {
            as_url: true,
            ..Specifier::of(literal)
        });
    }

    /// A dependency `accept(…)` names, written at `span`.
    fn accepted(&mut self, text: &str, span: Span) {
        self.analysis.accepts.deps.push(text.to_string());
        self.analysis.accepted.push(Specifier {
            text: text.to_string(),
            as_url: false,
            start: span.start,
            end: span.end,
        });
    }

    /// A dependency written as a template literal: only one without `${…}` names a module.
    fn accepted_template(&mut self, literal: &TemplateLiteral) {
        if literal.expressions.is_empty()
            && let Some(text) = literal.quasis.first().and_then(|q| q.value.cooked.as_ref())
        {
            self.accepted(text.as_str(), literal.span);
        }
    }
}

impl Specifier {
    fn of(literal: &StringLiteral) -> Specifier {
        Specifier {
            text: literal.value.to_string(),
            as_url: false,
            start: literal.span.start,
            end: literal.span.end,
        }
    }
}

/// `import.meta.<property>`
fn is_import_meta(expr: &Expression, property: &str) -> bool {
    match expr {
        Expression::StaticMemberExpression(member) => {
            member.property.name == property && matches!(member.object, Expression::ImportMeta(_))
        }
        _ => false,
    }
}

impl<'a> Visit<'a> for Collector {
    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        self.specifier(&it.source);
    }

    fn visit_export_from_declaration(&mut self, it: &ExportFromDeclaration<'a>) {
        self.specifier(&it.source);
    }

    fn visit_export_all_declaration(&mut self, it: &ExportAllDeclaration<'a>) {
        self.specifier(&it.source);
    }

    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        match &it.source {
            Expression::StringLiteral(literal) => self.specifier(literal),
            // Fast Refresh's wrapper takes its own exports so: the same module from any URL.
            source if is_import_meta(source, "url") => self.meta_known += 1,
            _ => self.computed_import = true,
        }
        walk::walk_import_expression(self, it);
    }

    fn visit_new_expression(&mut self, it: &NewExpression<'a>) {
        let is_url = matches!(&it.callee, Expression::Identifier(id) if id.name == "URL");
        if let (true, [Argument::StringLiteral(literal), base, ..]) =
            (is_url, it.arguments.as_slice())
            && base
                .as_expression()
                .is_some_and(|e| is_import_meta(e, "url"))
        {
            self.url_specifier(literal);
            if names_a_path(&literal.value) {
                self.meta_known += 1;
            }
        }
        walk::walk_new_expression(self, it);
    }

    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        if matches!(it.object, Expression::ImportMeta(_)) {
            match it.property.name.as_str() {
                "hot" => {
                    self.analysis.uses_hot = true;
                    self.meta_known += 1;
                }
                "env" => self.meta_known += 1,
                _ => {}
            }
        }
        walk::walk_static_member_expression(self, it);
    }

    fn visit_import_meta(&mut self, _: &oxc_ast::ast::ImportMeta) {
        self.meta += 1;
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let Expression::StaticMemberExpression(callee) = &it.callee
            && callee.property.name == "accept"
            && is_import_meta(&callee.object, "hot")
        {
            // As Vite reads it: a string or an array names dependencies; anything else (no
            // argument, a function, a name bound to one) accepts the module itself.
            match it.arguments.first() {
                Some(Argument::StringLiteral(dep)) => self.accepted(dep.value.as_str(), dep.span),
                Some(Argument::TemplateLiteral(dep)) => self.accepted_template(dep),
                Some(Argument::ArrayExpression(deps)) => {
                    for dep in &deps.elements {
                        match dep {
                            ArrayExpressionElement::StringLiteral(dep) => {
                                self.accepted(dep.value.as_str(), dep.span)
                            }
                            ArrayExpressionElement::TemplateLiteral(dep) => {
                                self.accepted_template(dep)
                            }
                            _ => {}
                        }
                    }
                }
                _ => self.analysis.accepts.itself = true,
            }
        }
        walk::walk_call_expression(self, it);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(analysis: &Analysis) -> Vec<&str> {
        analysis
            .specifiers
            .iter()
            .map(|s| s.text.as_str())
            .collect()
    }

    #[test]
    fn every_kind_of_specifier_is_found() {
        let analysis = analyze(
            r#"import a from './a.js';
import './side.js';
export { b } from "../b.js";
export * from '/c.js';
export * as d from './d.js';
const e = await import('./e.js');
const f = import(name);
const img = new URL('./logo.png', import.meta.url);
const other = new URL('./not.png', location.href);
// import './commented.js'
const s = "import './in-a-string.js'";
"#,
        )
        .unwrap();
        assert_eq!(
            texts(&analysis),
            vec![
                "./a.js",
                "./side.js",
                "../b.js",
                "/c.js",
                "./d.js",
                "./e.js",
                "./logo.png"
            ]
        );
        assert!(!analysis.uses_hot);
    }

    #[test]
    fn a_module_is_pushable_unless_it_reads_its_own_url() {
        let pushable = |source: &str| analyze(source).unwrap().pushable;
        for source in [
            "import a from './a.js'; export const b = await import('/b.js');",
            "import.meta.hot.accept(); if (import.meta.env.DEV) {}",
            "const logo = new URL('./logo.png', import.meta.url);",
            "import(import.meta.url).then((exports) => {});",
        ] {
            assert!(pushable(source), "{source}");
        }
        for source in [
            "console.log(import.meta.url);",
            "const here = import.meta;",
            "import.meta.resolve('./a.js');",
            "const folder = new URL('.', import.meta.url);",
            "const page = import(name);",
            "const page = import(`./pages/${name}.js`);",
        ] {
            assert!(!pushable(source), "{source}");
        }
        // A classic script is served as it is, never pushed.
        assert!(!pushable(
            "<!-- an HTML-like comment, for scripts only\nvar a = 1;"
        ));
    }

    #[test]
    fn a_pushed_module_names_every_path_from_the_origin_the_page_gives() {
        let source = "import a from './a.js';\n\
                      import b from '../lib/b.js?raw';\n\
                      import c from 'react';\n\
                      import d from 'https://cdn.example/d.js';\n\
                      const e = new URL('./e.png', import.meta.url);\n\
                      import.meta.hot.accept('./a.js', () => {});\n";
        let analysis = analyze(source).unwrap();
        assert!(analysis.pushable);
        let stale = |text: &str, place: Place| {
            (text == "./a.js" && place == Place::Import).then(|| "./a.js?t=5".to_string())
        };
        let pieces = rewrite_pushed(
            source,
            &analysis,
            "/__hotplate/b/hot.js",
            "/src/app.js?t=5",
            stale,
        );
        let code = pieces.join("http://localhost:5173");
        assert!(
            code.starts_with(
                "import { createHotContext as __hotplate_context } from \
                 \"http://localhost:5173/__hotplate/b/hot.js\"; \
                 import.meta.hot = __hotplate_context(\"/src/app.js\"); "
            ),
            "{code}"
        );
        for written in [
            "import a from \"http://localhost:5173/src/a.js?t=5\";",
            "import b from \"http://localhost:5173/lib/b.js?raw\";",
            "import c from 'react';",
            "import d from 'https://cdn.example/d.js';",
            "new URL(\"http://localhost:5173/src/e.png\", import.meta.url)",
            // `accept` names modules by path, for the runtime to resolve.
            "import.meta.hot.accept('./a.js', () => {});",
        ] {
            assert!(code.contains(written), "{written} in {code}");
        }
        assert!(
            code.ends_with("\n//# sourceURL=http://localhost:5173/src/app.js?t=5"),
            "{code}"
        );
        assert_eq!(
            pieces.join(""),
            pieces.concat(),
            "pieces are cut, not joined"
        );
        assert_eq!(
            pieces.len(),
            6,
            "one cut per path, the runtime and the sourceURL"
        );
    }

    #[test]
    fn a_relative_path_is_made_absolute_from_the_modules_folder() {
        assert_eq!(made_absolute("/src/app.js", "./a.js"), "/src/a.js");
        assert_eq!(
            made_absolute("/src/deep/app.js", "../../a.js?x#y"),
            "/a.js?x#y"
        );
        assert_eq!(made_absolute("/app.js", "../../a.js"), "/a.js");
        assert_eq!(made_absolute("/src/app.js", "./dir/"), "/src/dir/");
        assert_eq!(made_absolute("/src/app.js", "/abs.js"), "/abs.js");
        assert_eq!(made_absolute("/src/app.js", "react"), "react");
    }

    #[test]
    fn accept_forms_are_read_like_vite_does() {
        let cases = [
            ("import.meta.hot.accept()", true, vec![]),
            ("import.meta.hot.accept((m) => {})", true, vec![]),
            ("import.meta.hot.accept(function (m) {})", true, vec![]),
            (
                "import.meta.hot.accept('./dep.js', (m) => {})",
                false,
                vec!["./dep.js"],
            ),
            (
                "import.meta.hot.accept(['./a.js', './b.js'], ([a, b]) => {})",
                false,
                vec!["./a.js", "./b.js"],
            ),
            (
                "if (import.meta.hot) { import.meta.hot.accept() }",
                true,
                vec![],
            ),
            ("import.meta.hot.dispose(() => {})", false, vec![]),
            ("import.meta.hot.accept(handler)", true, vec![]),
            ("import.meta.hot.accept(function named(m) {})", true, vec![]),
            (
                "import.meta.hot.accept(`./dep.js`, (m) => {})",
                false,
                vec!["./dep.js"],
            ),
        ];
        for (source, itself, deps) in cases {
            let analysis = analyze(source).unwrap();
            assert!(analysis.uses_hot, "{source}");
            assert_eq!(analysis.accepts.itself, itself, "{source}");
            assert_eq!(analysis.accepts.deps, deps, "{source}");
        }
    }

    #[test]
    fn a_module_without_hot_gets_no_prologue() {
        let source = "import x from './x.js';\nconsole.log(x);\n";
        let analysis = analyze(source).unwrap();
        let out = rewrite(source, &analysis, Some("PROLOGUE;"), |_, _| None);
        assert_eq!(out, source);
    }

    #[test]
    fn a_module_with_hot_gets_the_prologue_on_its_first_line() {
        let source = "import.meta.hot.accept();\nthrow new Error('line 2');\n";
        let analysis = analyze(source).unwrap();
        let prologue = prologue("/__hotplate/b/hot.js", "/app.js");
        let out = rewrite(source, &analysis, Some(&prologue), |_, _| None);
        assert!(out.starts_with("import { createHotContext as __hotplate_context } from \"/__hotplate/b/hot.js\"; import.meta.hot = __hotplate_context(\"/app.js\"); import.meta.hot.accept();\n"));
        assert_eq!(out.lines().count(), source.lines().count());
        analyze(&out).expect("the rewritten module still parses");
    }

    #[test]
    fn only_the_specifiers_asked_for_are_replaced() {
        let source = "import a from './a.js';\nimport b from \"./b.js\";\nimport('./a.js');\n";
        let analysis = analyze(source).unwrap();
        let out = rewrite(source, &analysis, None, |s, _| {
            (s == "./a.js").then(|| format!("{s}?t=5"))
        });
        assert_eq!(
            out,
            "import a from \"./a.js?t=5\";\nimport b from \"./b.js\";\nimport(\"./a.js?t=5\");\n"
        );
    }

    #[test]
    fn accepted_dependencies_are_rewritten_in_place_beside_imports() {
        let source = "import a from './a';\nimport.meta.hot.accept(['./a', `./b`], cb);\n";
        let analysis = analyze(source).unwrap();
        let out = rewrite(source, &analysis, None, |s, place| {
            Some(format!(
                "{s}.ts{}",
                if place == Place::Accept {
                    "#accepted"
                } else {
                    ""
                }
            ))
        });
        assert_eq!(
            out,
            "import a from \"./a.ts\";\nimport.meta.hot.accept([\"./a.ts#accepted\", \"./b.ts#accepted\"], cb);\n"
        );
    }

    #[test]
    fn the_cache_parses_a_file_again_only_when_its_content_changed() {
        let cache = AnalysisCache::default();
        let first = cache.analyze("a.js", "import './x.js';").unwrap();
        let again = cache.analyze("a.js", "import './x.js';").unwrap();
        assert!(Arc::ptr_eq(&first, &again), "served from the cache");
        let changed = cache.analyze("a.js", "import './y.js';").unwrap();
        assert_eq!(changed.specifiers[0].text, "./y.js");
        assert!(cache.analyze("a.js", "import ;").is_err());
        cache.forget("a.js");
        assert!(cache.analyze("a.js", "import './x.js';").is_ok());
    }

    #[test]
    fn a_classic_script_is_no_error_but_names_nothing() {
        // `await` is a name in a classic script, and reserved in a module.
        let analysis = analyze("var await = 1; import('./x.js');").unwrap();
        assert_eq!(analysis, Analysis::default());
    }

    proptest::proptest! {
        /// Whatever the source, a rewrite that replaces nothing changes nothing but the
        /// prologue, and analysis never panics.
        #[test]
        fn rewriting_nothing_keeps_the_source(source in "[ -~\n]{0,200}") {
            if let Ok(analysis) = analyze(&source) {
                proptest::prop_assert_eq!(rewrite(&source, &analysis, None, |_, _| None), source);
            }
        }

        /// Every specifier can be replaced and the module still parses with the same
        /// specifiers, in order.
        #[test]
        fn replaced_specifiers_are_valid_strings(name in "[a-z\"'\\\\ ]{1,12}") {
            let source = "import a from './x.js';\nexport * from './y.js';\nimport('./z.js');\n";
            let analysis = analyze(source).unwrap();
            let out = rewrite(source, &analysis, None, |s, _| Some(format!("{s}?{name}")));
            let again = analyze(&out).unwrap();
            let texts: Vec<String> = again.specifiers.iter().map(|s| s.text.clone()).collect();
            proptest::prop_assert_eq!(texts, vec![
                format!("./x.js?{name}"),
                format!("./y.js?{name}"),
                format!("./z.js?{name}"),
            ]);
        }
    }

    #[test]
    fn a_syntax_error_names_its_line_and_column_with_a_frame() {
        let source = "const a = 1;\nconst b = ;\nconst c = 3;\n";
        let Err(AnalysisError::Syntax(error)) = analyze(source) else {
            panic!("a syntax error");
        };
        assert_eq!((error.line, error.column), (2, 11));
        assert!(
            error.message.starts_with("SyntaxError"),
            "{}",
            error.message
        );
        assert!(error.frame.contains("> 2 | const b = ;"), "{}", error.frame);
    }
}
