//! The names a CommonJS module exports, read statically with oxc the way Node reads them when
//! an ES module imports CommonJS (the patterns of `cjs-module-lexer`):
//!
//! - `exports.a = …`, `module.exports.a = …`, `exports['a'] = …`;
//! - `Object.defineProperty(exports, 'a', …)`;
//! - `module.exports = { a, b: c }` (including esbuild's `0 && (module.exports = {…})` hint);
//! - re-exports: `module.exports = require('./x')`, `...require('./x')` in such an object, and
//!   TypeScript's `__exportStar(require('./x'), exports)`.
//!
//! Only names are read here; rolldown converts the code ([`super`]).

use crate::rewrite::js;
use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, AssignmentExpression, AssignmentTarget, CallExpression, Expression,
    ObjectPropertyKind,
};
use oxc_ast_visit::{Visit, walk};
use oxc_parser::Parser;
use oxc_span::SourceType;
use std::collections::BTreeSet;

/// What a CommonJS module exports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exports {
    pub names: BTreeSet<String>,
    /// Specifiers of modules whose exports it passes on, as written.
    pub reexports: Vec<String>,
}

/// Reads the exports of `source`, a CommonJS module. A module that does not parse, or that is
/// too big or too deep to parse safely ([`js::check_limits`]), exports nothing that can be
/// named (its default export still works). It is parsed on the pool's large stack, as every
/// module is: a package file is input like any other.
pub fn lex(source: &str) -> Exports {
    if js::check_limits(source).is_err() {
        return Exports::default();
    }
    let source = source.to_string();
    crate::pool::on_big_stack(move || parse(&source))
}

fn parse(source: &str) -> Exports {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, SourceType::cjs()).parse();
    let mut lexer = Lexer::default();
    if parsed.diagnostics.is_empty() {
        lexer.visit_program(&parsed.program);
    }
    lexer.exports
}

#[derive(Default)]
struct Lexer {
    exports: Exports,
}

/// `exports` or `module.exports`.
fn is_exports(expr: &Expression) -> bool {
    match expr {
        Expression::Identifier(id) => id.name == "exports",
        Expression::StaticMemberExpression(member) => is_module_exports(member),
        _ => false,
    }
}

fn is_module_exports(member: &oxc_ast::ast::StaticMemberExpression) -> bool {
    member.property.name == "exports"
        && matches!(&member.object, Expression::Identifier(id) if id.name == "module")
}

/// The string `require("x")` names.
fn required(expr: &Expression) -> Option<String> {
    let Expression::CallExpression(call) = expr else {
        return None;
    };
    let is_require = matches!(&call.callee, Expression::Identifier(id) if id.name == "require");
    match (is_require, call.arguments.first()) {
        (true, Some(Argument::StringLiteral(literal))) => Some(literal.value.to_string()),
        _ => None,
    }
}

impl Lexer {
    fn name(&mut self, name: &str) {
        self.exports.names.insert(name.to_string());
    }

    fn reexport(&mut self, specifier: String) {
        if !self.exports.reexports.contains(&specifier) {
            self.exports.reexports.push(specifier);
        }
    }

    /// `module.exports = <value>`.
    fn assigned_whole(&mut self, value: &Expression) {
        if let Some(specifier) = required(value) {
            self.reexport(specifier);
            return;
        }
        if let Expression::ObjectExpression(object) = value {
            for property in &object.properties {
                match property {
                    ObjectPropertyKind::ObjectProperty(property) => {
                        if let Some(name) = property.key.static_name() {
                            self.name(&name);
                        }
                    }
                    ObjectPropertyKind::SpreadProperty(spread) => {
                        if let Some(specifier) = required(&spread.argument) {
                            self.reexport(specifier);
                        }
                    }
                }
            }
        }
    }
}

impl<'a> Visit<'a> for Lexer {
    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        match &it.left {
            AssignmentTarget::StaticMemberExpression(member) if is_module_exports(member) => {
                self.assigned_whole(&it.right);
            }
            AssignmentTarget::StaticMemberExpression(member) if is_exports(&member.object) => {
                self.name(&member.property.name);
            }
            AssignmentTarget::ComputedMemberExpression(member) if is_exports(&member.object) => {
                if let Expression::StringLiteral(key) = &member.expression {
                    self.name(&key.value);
                }
            }
            _ => {}
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        let args = it.arguments.as_slice();
        match &it.callee {
            // Object.defineProperty(exports, 'a', …)
            Expression::StaticMemberExpression(callee)
                if callee.property.name == "defineProperty"
                    && matches!(&callee.object, Expression::Identifier(id) if id.name == "Object") =>
            {
                if let [target, Argument::StringLiteral(key), ..] = args
                    && target.as_expression().is_some_and(is_exports)
                {
                    self.name(&key.value);
                }
            }
            // __exportStar(require('./x'), exports), tslib's and TypeScript's.
            Expression::Identifier(callee)
                if callee.name == "__exportStar" || callee.name == "__export" =>
            {
                if let Some(specifier) = args
                    .first()
                    .and_then(Argument::as_expression)
                    .and_then(required)
                {
                    self.reexport(specifier);
                }
            }
            _ => {}
        }
        walk::walk_call_expression(self, it);
    }
}

/// Whether `name` can be exported by name from the entry hotplate writes (`default` and the
/// interop marker are not names a module imports).
pub fn is_exportable(name: &str) -> bool {
    let mut chars = name.chars();
    let starts = chars
        .next()
        .is_some_and(|c| c == '_' || c == '$' || c.is_alphabetic());
    starts
        && chars.all(|c| c == '_' || c == '$' || c.is_alphanumeric())
        && name != "default"
        && name != "__esModule"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(exports: &Exports) -> Vec<&str> {
        exports.names.iter().map(String::as_str).collect()
    }

    #[test]
    fn assignments_and_define_property_name_exports() {
        let exports = lex(r#"
            'use strict';
            exports.useState = function () {};
            module.exports.Component = class {};
            exports['Fragment'] = Symbol.for('react.fragment');
            Object.defineProperty(exports, '__esModule', { value: true });
            Object.defineProperty(module.exports, 'version', { value: '1' });
            (function () { exports.nested = 1; })();
            // exports.commented = 1;
            const s = "exports.inAString = 1";
        "#);
        assert_eq!(
            names(&exports),
            [
                "Component",
                "Fragment",
                "__esModule",
                "nested",
                "useState",
                "version"
            ]
        );
        assert!(exports.reexports.is_empty());
    }

    #[test]
    fn a_whole_module_exports_names_its_keys_or_passes_another_on() {
        let react = lex(r#"
            if (process.env.NODE_ENV === 'production') {
              module.exports = require('./cjs/react.production.js');
            } else {
              module.exports = require('./cjs/react.development.js');
            }
        "#);
        assert_eq!(
            react.reexports,
            ["./cjs/react.production.js", "./cjs/react.development.js"]
        );
        let object = lex("module.exports = { a, b: 1, 'c': 2, ...require('./more') };");
        assert_eq!(names(&object), ["a", "b", "c"]);
        assert_eq!(object.reexports, ["./more"]);
        let esbuild = lex("0 && (module.exports = { hinted, also });");
        assert_eq!(names(&esbuild), ["also", "hinted"]);
        let typescript = lex("__exportStar(require('./types'), exports);");
        assert_eq!(typescript.reexports, ["./types"]);
    }

    #[test]
    fn a_module_too_deep_to_parse_safely_names_nothing() {
        let deep = format!(
            "exports.a = {}1{};",
            "[".repeat(js::MAX_NESTING + 10),
            "]".repeat(js::MAX_NESTING + 10)
        );
        assert_eq!(lex(&deep), Exports::default());
    }

    #[test]
    fn only_plain_names_are_exported_by_name() {
        for name in ["useState", "_x", "$", "Fragment2"] {
            assert!(is_exportable(name), "{name}");
        }
        for name in ["default", "__esModule", "a-b", "1x", ""] {
            assert!(!is_exportable(name), "{name}");
        }
    }
}
