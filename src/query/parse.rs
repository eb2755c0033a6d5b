//! Query text → `Expr`: a hand-written recursive-descent parser over characters, so every
//! error names the 1-based column (in characters) where the problem starts.
//!
//! ```text
//! query   := or
//! or      := and ("or" and)*
//! and     := unary+                      (terms side by side are ANDed)
//! unary   := "not" unary | "-" unary | "(" or ")" | term
//! term    := WORD [op VALUE]             op: = ~ > >= < <=
//! VALUE   := "quoted \"text\"" | bare text up to a space or ")"
//! ```

use crate::model::SpanKind;
use std::fmt;

/// A query that could not be parsed: what was wrong, and the column where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    /// 1-based, counted in characters.
    pub column: usize,
    pub message: String,
    /// What would be accepted there, said after the column.
    pub help: Option<&'static str>,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.message, self.column)?;
        match self.help {
            Some(help) => write!(f, " ({help})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for QueryError {}

/// How a term compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    /// Case-insensitive "contains".
    Contains,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Contains => "~",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }

    /// Whether `a op b` holds for an ordered comparison (`=` is equality, `~` never orders).
    pub fn compare<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Contains => false,
        }
    }
}

/// What a term tests, with its value already checked and converted.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    /// `service=NAME` (exact) or `service~TEXT`.
    Service {
        contains: bool,
        text: String,
    },
    Name {
        contains: bool,
        text: String,
    },
    /// `kind=server|client`: any of the kinds, one bit each (`kind_bit`).
    Kind(u8),
    Error,
    Root,
    Orphan,
    /// `duration>50ms`, in ns.
    Duration(Op, u64),
    /// `self>10ms`: duration minus what the children cover.
    SelfTime(Op, u64),
    /// `links>0`: outgoing links.
    LinksOut(Op, u64),
    /// `linked_by>0`: incoming links.
    LinksIn(Op, u64),
    /// An outgoing link whose target is not loaded.
    LinkUnresolved,
    /// `trace=HEXPREFIX`: the first `digits` hex digits of the trace id are `prefix`.
    Trace {
        prefix: u128,
        digits: u32,
    },
    /// `KEY`: the span, its resource or its scope has attribute `KEY`.
    Has(String),
    /// `KEY=VALUE`, `KEY~TEXT`, `KEY>NUMBER`…
    Attr {
        key: String,
        op: Op,
        value: String,
    },
}

/// The parsed query.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Term(Term),
}

/// Every kind, each with its bit in a `Term::Kind` mask (`kind_bit`).
const KINDS: [SpanKind; 6] = [
    SpanKind::Unspecified,
    SpanKind::Internal,
    SpanKind::Server,
    SpanKind::Client,
    SpanKind::Producer,
    SpanKind::Consumer,
];

/// The bit of `kind` in a `Term::Kind` mask.
pub fn kind_bit(kind: SpanKind) -> u8 {
    1 << KINDS.iter().position(|&k| k == kind).unwrap_or(0)
}

/// Nesting deeper than this is refused, so a hostile query cannot overflow the stack.
const MAX_DEPTH: usize = 64;

/// Parses a query. An empty (or all-blank) query is an error: it would match everything.
pub fn parse(text: &str) -> Result<Expr, QueryError> {
    let mut p = Parser { chars: text.chars().collect(), at: 0, depth: 0 };
    p.skip_blank();
    if p.at_end() {
        return Err(p.error_here("empty query: expected a term such as duration>50ms"));
    }
    let expr = p.or()?;
    p.skip_blank();
    match p.peek() {
        None => Ok(expr),
        Some(')') => Err(p.error_here("unmatched `)`")),
        Some(_) => Err(p.error_here("expected a term")),
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    depth: usize,
}

/// Characters that end a key (a term's word).
fn ends_key(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '=' | '~' | '<' | '>' | '!' | '"')
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }
    fn at_end(&self) -> bool {
        self.at >= self.chars.len()
    }
    fn column(&self) -> usize {
        self.at + 1
    }
    fn error_at(column: usize, message: impl Into<String>) -> QueryError {
        QueryError { column, message: message.into(), help: None }
    }
    fn error_here(&self, message: impl Into<String>) -> QueryError {
        Self::error_at(self.column(), message)
    }
    fn skip_blank(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    /// The bare word starting here (up to a character that ends a key), without consuming it.
    fn word_here(&self) -> String {
        self.chars[self.at.min(self.chars.len())..].iter().take_while(|&&c| !ends_key(c)).collect()
    }

    /// Whether the word here is `keyword` on its own (followed by a blank, `(`, `-` or the end).
    fn keyword(&self, keyword: &str) -> bool {
        let w = self.word_here();
        w.eq_ignore_ascii_case(keyword) && {
            let after = self.chars.get(self.at + w.chars().count()).copied();
            after.is_none_or(|c| c.is_whitespace() || c == '(')
        }
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut parts = vec![self.and()?];
        loop {
            self.skip_blank();
            if !self.keyword("or") {
                break;
            }
            self.at += 2;
            self.skip_blank();
            if self.at_end() || self.peek() == Some(')') {
                return Err(self.error_here("expected a term after `or`"));
            }
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts) })
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut parts = Vec::new();
        loop {
            self.skip_blank();
            if self.at_end() || self.peek() == Some(')') || self.keyword("or") {
                break;
            }
            parts.push(self.unary()?);
        }
        match parts.len() {
            0 => Err(self.error_here("expected a term")),
            1 => Ok(parts.remove(0)),
            _ => Ok(Expr::And(parts)),
        }
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here(format!("nested more than {MAX_DEPTH} deep")));
        }
        let result = self.unary_inner();
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self) -> Result<Expr, QueryError> {
        self.skip_blank();
        if self.peek() == Some('-') {
            self.at += 1;
            if self.peek().is_none_or(char::is_whitespace) {
                return Err(self.error_here("expected a term right after `-`"));
            }
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.keyword("not") {
            self.at += 3;
            self.skip_blank();
            if self.at_end() || self.peek() == Some(')') {
                return Err(self.error_here("expected a term after `not`"));
            }
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some('(') {
            let open = self.column();
            self.at += 1;
            self.skip_blank();
            if self.peek() == Some(')') {
                return Err(self.error_here("empty parentheses: expected a term"));
            }
            let inner = self.or()?;
            self.skip_blank();
            if self.peek() != Some(')') {
                return Err(Self::error_at(open, "`(` is never closed"));
            }
            self.at += 1;
            return Ok(inner);
        }
        self.term().map(Expr::Term)
    }

    fn term(&mut self) -> Result<Term, QueryError> {
        let key_col = self.column();
        let key = self.word_here();
        if key.is_empty() {
            return Err(self.error_here(match self.peek() {
                Some('"') => "a quoted value needs a key before it: KEY=\"VALUE\"".to_owned(),
                Some(c) => format!("expected a term, found `{c}`"),
                None => "expected a term".to_owned(),
            }));
        }
        self.at += key.chars().count();
        let op_col = self.column();
        let op = self.op()?;
        let value = match op {
            Some(op) => Some((self.column(), self.value(op)?)),
            None => None,
        };
        build_term(key, key_col, op.map(|op| (op, op_col)), value)
    }

    fn op(&mut self) -> Result<Option<Op>, QueryError> {
        let (op, len) = match (self.peek(), self.chars.get(self.at + 1).copied()) {
            (Some('>'), Some('=')) => (Op::Ge, 2),
            (Some('<'), Some('=')) => (Op::Le, 2),
            (Some('>'), _) => (Op::Gt, 1),
            (Some('<'), _) => (Op::Lt, 1),
            (Some('='), _) => (Op::Eq, 1),
            (Some('~'), _) => (Op::Contains, 1),
            (Some('!'), _) => {
                return Err(self.error_here("`!` is not an operator: write not KEY=VALUE or -KEY=VALUE"));
            }
            _ => return Ok(None),
        };
        self.at += len;
        Ok(Some(op))
    }

    /// A quoted value (`\"` and `\\` escapes) or bare text up to a blank or `)`.
    fn value(&mut self, op: Op) -> Result<String, QueryError> {
        if self.peek() == Some('"') {
            let open = self.column();
            self.at += 1;
            let mut out = String::new();
            loop {
                match self.peek() {
                    None => return Err(Self::error_at(open, "quote is never closed")),
                    Some('"') => {
                        self.at += 1;
                        return Ok(out);
                    }
                    Some('\\') if matches!(self.chars.get(self.at + 1), Some('"' | '\\')) => {
                        out.push(self.chars[self.at + 1]);
                        self.at += 2;
                    }
                    Some(c) => {
                        out.push(c);
                        self.at += 1;
                    }
                }
            }
        }
        let rest = &self.chars[self.at.min(self.chars.len())..];
        let out: String = rest.iter().take_while(|&&c| !c.is_whitespace() && c != ')').collect();
        if out.is_empty() {
            return Err(self.error_here(format!("expected a value after `{}`", op.text())));
        }
        self.at += out.chars().count();
        Ok(out)
    }
}

/// Checks a term's operator and value against what its key takes.
fn build_term(
    key: String,
    key_col: usize,
    op: Option<(Op, usize)>,
    value: Option<(usize, String)>,
) -> Result<Term, QueryError> {
    fn err(column: usize, message: impl Into<String>) -> QueryError {
        Parser::error_at(column, message)
    }
    let (op, op_col, value_col, value) = match (op, value) {
        (Some((op, op_col)), Some((value_col, value))) => (op, op_col, value_col, value),
        _ => {
            return Ok(match key.as_str() {
                "error" => Term::Error,
                "root" => Term::Root,
                "orphan" => Term::Orphan,
                "link_unresolved" => Term::LinkUnresolved,
                "service" | "name" => return Err(err(key_col, format!("{key} needs =NAME or ~TEXT"))),
                "kind" => {
                    return Err(err(key_col, "kind needs =server, client, producer, consumer or internal"));
                }
                "duration" | "self" => {
                    return Err(err(key_col, format!("{key} needs a comparison: {key}>50ms")));
                }
                "links" | "linked_by" => {
                    return Err(err(key_col, format!("{key} needs a comparison: {key}>0")));
                }
                "trace" => return Err(err(key_col, "trace needs =HEXPREFIX")),
                _ => Term::Has(key),
            });
        }
    };
    let only = |allowed: &[Op], what: &str| -> Result<(), QueryError> {
        if allowed.contains(&op) {
            Ok(())
        } else {
            Err(err(op_col, format!("{key} takes {what}, not `{}`", op.text())))
        }
    };
    match key.as_str() {
        "error" | "root" | "orphan" | "link_unresolved" => {
            Err(err(op_col, format!("{key} takes no value: write {key} or not {key}")))
        }
        "service" | "name" => {
            only(&[Op::Eq, Op::Contains], "= or ~")?;
            let contains = op == Op::Contains;
            Ok(if key == "service" {
                Term::Service { contains, text: value }
            } else {
                Term::Name { contains, text: value }
            })
        }
        "kind" => {
            only(&[Op::Eq], "=")?;
            let mut mask = 0u8;
            let mut col = value_col;
            for part in value.split('|') {
                let kind = SpanKind::from_name(part).filter(|_| !part.is_empty()).ok_or_else(|| {
                    err(col, format!("unknown kind `{part}`: expected server, client, producer, consumer, internal or unspecified"))
                })?;
                mask |= kind_bit(kind);
                col += part.chars().count() + 1;
            }
            Ok(Term::Kind(mask))
        }
        "duration" | "self" => {
            only(&[Op::Eq, Op::Gt, Op::Ge, Op::Lt, Op::Le], "= > >= < <=")?;
            let ns = parse_duration(&value, value_col)?;
            Ok(if key == "duration" { Term::Duration(op, ns) } else { Term::SelfTime(op, ns) })
        }
        "links" | "linked_by" => {
            only(&[Op::Eq, Op::Gt, Op::Ge, Op::Lt, Op::Le], "= > >= < <=")?;
            let n = value
                .parse::<u64>()
                .map_err(|_| err(value_col, format!("expected a count, found `{value}`")))?;
            Ok(if key == "links" { Term::LinksOut(op, n) } else { Term::LinksIn(op, n) })
        }
        "trace" => {
            only(&[Op::Eq], "=")?;
            let digits = value.chars().count();
            let prefix =
                crate::model::parse_hex(&value).filter(|_| (1..=32).contains(&digits)).ok_or_else(|| {
                    err(value_col, format!("expected 1 to 32 hex digits of a trace id, found `{value}`"))
                })?;
            Ok(Term::Trace { prefix, digits: digits as u32 })
        }
        _ => {
            if matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le) && value.parse::<f64>().is_err() {
                return Err(err(
                    value_col,
                    format!("`{}` compares numbers; `{value}` is not one", op.text()),
                ));
            }
            Ok(Term::Attr { key, op, value })
        }
    }
}

const UNITS: &str = "units: ns, us, ms, s, m";

/// `50ms`, `1.5s`, `250us`, `2m`: a number and a unit (ns, us, µs, ms, s, m), in ns.
fn parse_duration(text: &str, column: usize) -> Result<u64, QueryError> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_col = column + number.chars().count();
    if number.is_empty() {
        return Err(Parser::error_at(column, format!("expected a duration such as 50ms, found `{text}`")));
    }
    let scale: f64 = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "" => {
            return Err(QueryError {
                help: Some(UNITS),
                ..Parser::error_at(unit_col, format!("`{number}` needs a unit"))
            });
        }
        other => {
            return Err(QueryError {
                help: Some(UNITS),
                ..Parser::error_at(column, format!("unknown unit `{other}`"))
            });
        }
    };
    let value: f64 =
        number.parse().map_err(|_| Parser::error_at(column, format!("`{number}` is not a number")))?;
    let ns = (value * scale).round();
    if !ns.is_finite() || ns >= u64::MAX as f64 {
        return Err(Parser::error_at(column, format!("`{text}` is too long a duration")));
    }
    Ok(ns as u64)
}
