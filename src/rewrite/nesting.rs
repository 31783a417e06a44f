//! How deep oxc would recurse to parse and visit a script, estimated from above in one pass
//! over its bytes, before it is parsed: a script nested deeper than the pool's stacks allow is
//! refused with an error instead of overflowing a stack (see [`crate::pool`]).
//!
//! Two pieces:
//! 1. [`Lexer`] reads the tokens that matter for nesting: brackets, separators, operators,
//!    words, and values (strings, numbers, regular expressions, template text), skipping white
//!    space and comments. Whether a `/` divides or starts a regular expression, and whether a
//!    `}` goes back into a template literal, it decides from what came before.
//! 2. [`Depth`] turns them into the estimate. Every bracket opens a level. Within a level,
//!    every operator and every keyword that can nest (`if`, `else`, `new`, `typeof`, `await` …)
//!    adds one, because chains of them nest in the syntax tree (`a + b + c`,
//!    `a ? b : c ? d : e`, `!!!x`, `a.b.c`, `if (a) if (b)`). A `,` or `;`, and the end of a
//!    block, close such a chain; an `else` reopens the chain its `if` was in. The estimate is
//!    the deepest sum over the open levels.

/// The estimate for `source` (see the module's docs).
pub fn nesting(source: &str) -> usize {
    let mut lexer = Lexer::new(source);
    let mut depth = Depth::new();
    while let Some(token) = lexer.next() {
        if depth.take(token) == Ended::Block {
            // A `/` after a block starts a regular expression, as at the start of a statement.
            lexer.after_statement();
        }
    }
    depth.deepest
}

/// A token that matters for nesting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// `(`, `[` or `{`.
    Open(u8),
    /// `${` in a template literal.
    OpenTemplate,
    /// `)`, `]` or `}`: what it closes is the innermost open bracket, whichever it was.
    /// `reopens`: that was a template's `${`, and the template's text after it reached
    /// another `${`, which is open now.
    Close { byte: u8, reopens: bool },
    /// `,` or `;`.
    Separator(u8),
    /// An operator character (`=`, `+`, `.`, `?` …); `arrow` for the `>` of `=>`.
    Operator { arrow: bool },
    /// A name, keyword or number.
    Word(&'a str),
    /// A string or a regular expression.
    Value,
    /// A template literal with no `${`, or its text after the last `}`.
    TemplateEnd,
    /// Any other character (`\`, a stray `@` …).
    Other,
}

/// Keywords that nest what follows them (`if (a) if (b)`, `new new X`, `typeof typeof x`).
const NESTING_KEYWORDS: [&str; 17] = [
    "if",
    "for",
    "while",
    "with",
    "do",
    "new",
    "typeof",
    "void",
    "delete",
    "await",
    "yield",
    "in",
    "of",
    "instanceof",
    "return",
    "throw",
    "case",
];

/// The tokens of a script that matter for nesting (see the module's docs).
pub struct Lexer<'a> {
    source: &'a str,
    bytes: &'a [u8],
    at: usize,
    /// Whether the last token was a value: a `/` after it divides, anywhere else it starts a
    /// regular expression.
    after_value: bool,
    /// For each bracket open now, innermost last: whether it is a template's `${`.
    open: Vec<bool>,
}

impl<'a> Lexer<'a> {
    pub fn new(source: &'a str) -> Lexer<'a> {
        Lexer {
            source,
            bytes: source.as_bytes(),
            at: 0,
            after_value: false,
            open: Vec::new(),
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.at + ahead).copied()
    }

    /// Skips a template literal's text; true when it stopped at `${` (which is then open).
    fn template_text(&mut self) -> bool {
        while self.at < self.bytes.len() {
            match self.bytes[self.at] {
                b'\\' => self.at += 2,
                b'`' => {
                    self.at += 1;
                    return false;
                }
                b'$' if self.peek(1) == Some(b'{') => {
                    self.at += 2;
                    self.open.push(true);
                    return true;
                }
                _ => self.at += 1,
            }
        }
        false
    }

    /// A template literal's text from here: `${` opens a level, or the literal ends.
    fn template(&mut self) -> Token<'a> {
        if self.template_text() {
            self.after_value = false;
            Token::OpenTemplate
        } else {
            self.after_value = true;
            Token::TemplateEnd
        }
    }

    /// Skips white space and comments; false at the end.
    fn skip_space(&mut self) -> bool {
        while let Some(byte) = self.peek(0) {
            match (byte, self.peek(1)) {
                (b' ' | b'\t' | b'\n' | b'\r', _) => self.at += 1,
                (b'/', Some(b'/')) => {
                    while self.peek(0).is_some_and(|b| b != b'\n') {
                        self.at += 1;
                    }
                }
                (b'/', Some(b'*')) => {
                    self.at = self.source[self.at + 2..]
                        .find("*/")
                        .map_or(self.bytes.len(), |end| self.at + 2 + end + 2);
                }
                _ => return true,
            }
        }
        false
    }

    /// A regular expression from its opening `/`: to its closing `/` outside a class, then
    /// its flags.
    fn regular_expression(&mut self) {
        self.at += 1;
        let mut class = false;
        while let Some(byte) = self.peek(0).filter(|b| *b != b'\n') {
            match byte {
                b'\\' => self.at += 1,
                b'[' => class = true,
                b']' => class = false,
                b'/' if !class => break,
                _ => {}
            }
            self.at += 1;
        }
        self.at += 1;
        while self.peek(0).is_some_and(|b| b.is_ascii_alphanumeric()) {
            self.at += 1;
        }
    }

    /// A string from its opening quote to the same quote, or to the end of its line.
    fn string(&mut self, quote: u8) {
        self.at += 1;
        while let Some(byte) = self.peek(0).filter(|b| *b != quote && *b != b'\n') {
            self.at += if byte == b'\\' { 2 } else { 1 };
        }
        self.at += 1;
    }

    /// A name, keyword or number.
    fn word(&mut self) -> &'a str {
        let start = self.at;
        let number = self.bytes[start].is_ascii_digit();
        self.at += 1;
        while self.peek(0).is_some_and(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'_' | b'$')
                || b >= 0x80
                || (number && b == b'.')
        }) {
            self.at += 1;
        }
        &self.source[start..self.at]
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if !self.skip_space() {
            return None;
        }
        let byte = self.bytes[self.at];
        let token = match byte {
            b'/' if !self.after_value => {
                self.regular_expression();
                self.after_value = true;
                return Some(Token::Value);
            }
            b'\'' | b'"' => {
                self.string(byte);
                self.after_value = true;
                return Some(Token::Value);
            }
            b'`' => {
                self.at += 1;
                return Some(self.template());
            }
            b'(' | b'[' | b'{' => {
                self.at += 1;
                self.open.push(false);
                self.after_value = false;
                Token::Open(byte)
            }
            b')' | b']' | b'}' => {
                self.at += 1;
                self.after_value = true;
                // What it closed was a template's `${`: the template's text goes on.
                let reopens = self.open.pop() == Some(true) && self.template_text();
                if reopens {
                    self.after_value = false;
                }
                Token::Close { byte, reopens }
            }
            b',' | b';' => {
                self.at += 1;
                self.after_value = false;
                Token::Separator(byte)
            }
            b'=' | b'+' | b'-' | b'*' | b'%' | b'<' | b'>' | b'&' | b'|' | b'^' | b'!' | b'~'
            | b'?' | b':' | b'.' => {
                self.at += 1;
                self.after_value = false;
                let arrow = byte == b'>' && self.at >= 2 && self.bytes[self.at - 2] == b'=';
                Token::Operator { arrow }
            }
            _ if byte.is_ascii_alphanumeric()
                || matches!(byte, b'_' | b'$' | b'#' | b'@')
                || byte >= 0x80 =>
            {
                let word = self.word();
                self.after_value = word != "else" && !NESTING_KEYWORDS.contains(&word);
                Token::Word(word)
            }
            // A division, `\`, a stray character: nothing that nests, and the `/` of
            // `a / b` leaves what came before as it was.
            _ => {
                self.at += 1;
                Token::Other
            }
        };
        Some(token)
    }
}

impl Lexer<'_> {
    /// The last `}` ended a block (which the lexer cannot tell from an object): what follows
    /// starts a statement, where a `/` starts a regular expression.
    pub fn after_statement(&mut self) {
        self.after_value = false;
    }
}

/// What a token ended, for the lexer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Nothing,
    /// A block (`{ … }` as a statement or a body).
    Block,
}

/// What opened a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opened {
    Top,
    Paren,
    Bracket,
    /// A block: its end ends the statement around it.
    Block,
    /// An object literal, or any other brace in an expression.
    Object,
    /// `${` in a template literal.
    Template,
}

/// One open level and the chain of operators and keywords in it.
struct Level {
    opened: Opened,
    chain: usize,
    /// The chain before the last `,` or `;` (an `else` picks it up again).
    closed_chain: usize,
}

impl Level {
    fn new(opened: Opened) -> Level {
        Level {
            opened,
            chain: 0,
            closed_chain: 0,
        }
    }
}

/// The estimate, token by token (see the module's docs).
pub struct Depth {
    levels: Vec<Level>,
    /// The sum of the open levels' chains.
    chains: usize,
    /// The deepest sum so far.
    pub deepest: usize,
    /// Whether the last token lets a `{` open a block rather than an object.
    block_may_follow: bool,
}

impl Default for Depth {
    fn default() -> Self {
        Depth::new()
    }
}

impl Depth {
    pub fn new() -> Depth {
        Depth {
            levels: vec![Level::new(Opened::Top)],
            chains: 0,
            deepest: 0,
            block_may_follow: true,
        }
    }

    fn top(&mut self) -> &mut Level {
        self.levels.last_mut().expect("the top level stays")
    }

    /// Ends the chain of the innermost level (a `,`, a `;`, the end of a block).
    fn end_chain(&mut self) {
        let level = self.levels.last_mut().expect("the top level stays");
        self.chains -= level.chain;
        level.closed_chain = std::mem::take(&mut level.chain);
    }

    fn chain(&mut self) {
        self.top().chain += 1;
        self.chains += 1;
    }

    /// Closes the innermost level (never the top one); returns what had opened it.
    fn close(&mut self) -> Opened {
        if self.levels.len() > 1 {
            let level = self.levels.pop().expect("more than the top level");
            self.chains -= level.chain;
            level.opened
        } else {
            Opened::Top
        }
    }

    /// Takes the next token; says whether it ended a block.
    pub fn take(&mut self, token: Token<'_>) -> Ended {
        let mut may_open_block = false;
        let mut ended = Ended::Nothing;
        match token {
            Token::Value => {
                // Strings and regular expressions change no level.
                self.block_may_follow = false;
                return ended;
            }
            Token::TemplateEnd | Token::Other => {}
            Token::OpenTemplate => self.levels.push(Level::new(Opened::Template)),
            Token::Open(byte) => {
                let opened = match byte {
                    b'(' => Opened::Paren,
                    b'[' => Opened::Bracket,
                    _ if self.block_may_follow => Opened::Block,
                    _ => Opened::Object,
                };
                self.levels.push(Level::new(opened));
                may_open_block = true;
            }
            Token::Close { byte, reopens } => {
                // A body follows a parenthesis: `if (a) {`, `function f() {`.
                may_open_block = byte == b')';
                match self.close() {
                    Opened::Template if reopens => self.levels.push(Level::new(Opened::Template)),
                    Opened::Block => {
                        // The statement around the block ends with it.
                        self.end_chain();
                        may_open_block = true;
                        ended = Ended::Block;
                    }
                    _ => {}
                }
            }
            Token::Separator(byte) => {
                self.end_chain();
                may_open_block = byte == b';';
            }
            Token::Operator { arrow } => {
                self.chain();
                // `=>` may open a block body.
                may_open_block = arrow;
            }
            Token::Word(word) => {
                may_open_block = true;
                if word == "else" {
                    let level = self.top();
                    let reopened = std::mem::take(&mut level.closed_chain);
                    level.chain += reopened;
                    self.chains += reopened;
                    self.chain();
                } else if NESTING_KEYWORDS.contains(&word) {
                    self.chain();
                    may_open_block = word == "do";
                }
            }
        }
        self.block_may_follow = may_open_block;
        self.deepest = self.deepest.max(self.levels.len() + self.chains);
        ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The estimate reads any text to its end, however odd (unclosed strings, comments,
        /// templates and regular expressions, stray closers, `#` and `@`, non-ASCII).
        #[test]
        fn nesting_reads_any_text(source in "(\\PC|[`'\"/\\\\{}()\\[\\]#@$])*") {
            let levels = nesting(&source);
            proptest::prop_assert!(levels <= source.len() + 1);
        }

    }

    #[test]
    fn nesting_counts_every_shape_that_recurses() {
        let n = 20_000;
        let shapes = [
            format!("f({}1{})", "() => f(".repeat(n), ")".repeat(n)),
            format!("x = {}1{}", "[".repeat(n), "]".repeat(n)),
            format!("{}{}", "{".repeat(n), "}".repeat(n)),
            format!("if (a) {{}}{}", " else if (a) {}".repeat(n)),
            format!("if (a) x;{}", " else if (a) x;".repeat(n)),
            format!("x = {}1", "a ? b : ".repeat(n)),
            format!("x = {}1", "a ? {} : ".repeat(n)),
            format!("x = {}1", "!".repeat(n)),
            format!("x = {}1", "a => ".repeat(n)),
            format!("{}x;", "for (;;) ".repeat(n)),
            format!("x = {}1{}", "`${".repeat(n), "}`".repeat(n)),
            format!("x = a{}", ".b".repeat(n)),
            format!("x = {}1", "a + ".repeat(n)),
            format!("{}x;", "l: ".repeat(n)),
            format!("x = {}a", "new ".repeat(n)),
            format!("x = {}a", "typeof ".repeat(n)),
        ];
        for source in shapes {
            assert!(nesting(&source) >= n, "{}", &source[..40]);
        }
    }

    #[test]
    fn nesting_of_long_flat_code_stays_small() {
        let n = 20_000;
        let flat = [
            "if (a) { b(); }\n".repeat(n),
            "if (a) b();\n".repeat(n),
            format!("x = [{}];", "-1, ".repeat(n)),
            format!("x = {{{}}};", "a: b ? c : d, ".repeat(n)),
            "function f(a) { return a + 1; }\n".repeat(n),
            format!("x = ({});", "a = 1, ".repeat(n)),
            "const s = \"(((((\"; const r = /[(]{3}\\(/g; // ((((\n/* [[[[ */\n".repeat(n),
            "x = `a ${b} c ${`d ${e}`}`;\n".repeat(n),
            "class A extends B { m() { if (a) {} else {} } }\n".repeat(n),
        ];
        for source in flat {
            assert!(
                nesting(&source) < 20,
                "{}: {}",
                &source[..30],
                nesting(&source)
            );
        }
    }

    #[test]
    fn the_lexer_tells_a_division_from_a_regular_expression_by_what_came_before() {
        let tokens: Vec<Token> = Lexer::new("a / b; /x)/.test(c)").collect();
        assert_eq!(tokens[1], Token::Other, "a division: {tokens:?}");
        assert_eq!(tokens[4], Token::Value, "a regular expression: {tokens:?}");
        let closes = tokens
            .iter()
            .filter(|t| matches!(t, Token::Close { .. }))
            .count();
        assert_eq!(
            closes, 1,
            "the `)` in the expression closes nothing: {tokens:?}"
        );
    }

    #[test]
    fn the_lexer_goes_back_into_a_template_after_its_expression() {
        let tokens: Vec<Token> = Lexer::new("`a ${b} c ${d}`").collect();
        assert_eq!(
            tokens,
            vec![
                Token::OpenTemplate,
                Token::Word("b"),
                Token::Close {
                    byte: b'}',
                    reopens: true
                },
                Token::Word("d"),
                Token::Close {
                    byte: b'}',
                    reopens: false
                },
            ]
        );
    }

    #[test]
    fn the_lexer_skips_white_space_comments_and_strings() {
        let tokens: Vec<Token> = Lexer::new("// (((\n/* [[[ */ \"(((\" 'x'").collect();
        assert_eq!(tokens, vec![Token::Value, Token::Value]);
    }

    #[test]
    fn a_block_ends_the_chain_around_it_and_an_object_does_not() {
        let depth = |source: &str| {
            let mut depth = Depth::new();
            let mut ended = Vec::new();
            for token in Lexer::new(source) {
                ended.push(depth.take(token));
            }
            (depth.deepest, ended.contains(&Ended::Block))
        };
        assert!(depth("if (a) {}").1);
        assert!(!depth("x = {}").1);
        assert_eq!(depth("x = a + b + c").0, depth("x = a + b").0 + 1);
        assert_eq!(depth("a + b; c + d").0, depth("a + b").0);
    }

    #[test]
    fn else_picks_up_the_chain_of_its_if() {
        assert!(nesting("if (a) x; else if (b) y; else z;") > nesting("if (a) x; z;"));
    }
}
