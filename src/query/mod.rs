//! The span query language shared by `weft spans`, `weft stats` and the explorer's `F` prompt:
//! text → `parse::Expr` → `Query`, a predicate compiled against one `Index` (names, keys and
//! string values looked up in its interner once, so testing a span compares symbols and
//! numbers and allocates nothing).
//!
//! A compiled query holds symbols of the index it was compiled for; an index that grows
//! (`weft listen`) may intern a name later, so callers compile again for each run.

pub mod parse;
pub mod stats;

pub use parse::{Expr, Op, QueryError, Term};

use crate::index::{Index, LinkTarget, SpanIdx};
use crate::model::{Slice, Sym, Value};
use parse::kind_bit;

/// A parsed query compiled for one index.
#[derive(Clone, Debug)]
pub struct Query {
    text: String,
    root: Node,
    uses_self: bool,
}

#[derive(Clone, Debug)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Leaf(Leaf),
}

#[derive(Clone, Debug)]
enum Leaf {
    /// A name or key the index has never seen: nothing can match.
    Never,
    Service(Text),
    Name(Text),
    Has(Sym),
    Attr {
        key: Sym,
        test: ValueTest,
    },
    /// A term that needs nothing looked up in the index (kind, error, durations, links, trace).
    Plain(Term),
}

/// A string test on an interned field.
#[derive(Clone, Debug)]
enum Text {
    Is(Sym),
    Contains(Needle),
}

/// A test on an attribute value.
#[derive(Clone, Debug)]
enum ValueTest {
    /// `KEY=VALUE`: the string itself (when interned), or the same number or bool.
    Eq {
        sym: Option<Sym>,
        int: Option<i64>,
        num: Option<f64>,
        boolean: Option<bool>,
    },
    Contains(Needle),
    Number(Op, f64),
}

/// Lowercased text for a case-insensitive "contains".
#[derive(Clone, Debug)]
struct Needle(String);

impl Needle {
    fn new(text: &str) -> Self {
        Self(text.to_lowercase())
    }

    fn found_in(&self, hay: &str) -> bool {
        let needle = self.0.as_bytes();
        if self.0.is_ascii() {
            // ASCII needles compare byte windows ignoring ASCII case: no lowercased copy of
            // the haystack (other bytes can only match themselves).
            needle.is_empty() || hay.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
        } else {
            // Compared char by char through `to_lowercase`'s iterators: still no copy.
            hay.char_indices().any(|(i, _)| {
                let mut lower = hay[i..].chars().flat_map(char::to_lowercase);
                self.0.chars().all(|n| lower.next() == Some(n))
            })
        }
    }
}

/// Formats a number into a stack buffer, so `KEY~TEXT` can look inside numbers and bools
/// without allocating.
struct SmallText {
    buf: [u8; 48],
    len: usize,
}

impl std::fmt::Write for SmallText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl SmallText {
    fn of(v: impl std::fmt::Display) -> Option<Self> {
        use std::fmt::Write as _;
        let mut t = Self { buf: [0; 48], len: 0 };
        write!(t, "{v}").ok()?;
        Some(t)
    }
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Query {
    /// Parses `text` and compiles it for `index`.
    pub fn new(text: &str, index: &Index) -> Result<Self, QueryError> {
        let expr = parse::parse(text)?;
        let mut uses_self = false;
        let root = compile(&expr, index, &mut uses_self);
        Ok(Self { text: text.to_owned(), root, uses_self })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the query asks for self time (which costs a walk over each span's children).
    pub fn uses_self_time(&self) -> bool {
        self.uses_self
    }

    pub fn matches(&self, index: &Index, s: SpanIdx) -> bool {
        self.root.eval(index, s)
    }
}

fn compile(expr: &Expr, index: &Index, uses_self: &mut bool) -> Node {
    let all =
        |parts: &[Expr], uses_self: &mut bool| parts.iter().map(|e| compile(e, index, uses_self)).collect();
    match expr {
        Expr::And(parts) => Node::And(all(parts, uses_self)),
        Expr::Or(parts) => Node::Or(all(parts, uses_self)),
        Expr::Not(inner) => Node::Not(Box::new(compile(inner, index, uses_self))),
        Expr::Term(term) => Node::Leaf(compile_term(term, index, uses_self)),
    }
}

fn compile_term(term: &Term, index: &Index, uses_self: &mut bool) -> Leaf {
    let sym = |s: &str| index.data.strings.get(s);
    let text = |contains: bool, t: &str| match contains {
        true => Some(Text::Contains(Needle::new(t))),
        false => sym(t).map(Text::Is),
    };
    match term {
        Term::Service { contains, text: t } => text(*contains, t).map_or(Leaf::Never, Leaf::Service),
        Term::Name { contains, text: t } => text(*contains, t).map_or(Leaf::Never, Leaf::Name),
        Term::SelfTime(..) => {
            *uses_self = true;
            Leaf::Plain(term.clone())
        }
        Term::Has(key) => sym(key).map_or(Leaf::Never, Leaf::Has),
        Term::Attr { key, op, value } => {
            let Some(key) = sym(key) else { return Leaf::Never };
            let test = match op {
                Op::Eq => ValueTest::Eq {
                    sym: sym(value),
                    int: value.parse().ok(),
                    num: value.parse().ok(),
                    boolean: value.parse().ok(),
                },
                Op::Contains => ValueTest::Contains(Needle::new(value)),
                // The parser only lets numbers through for ordered comparisons.
                other => ValueTest::Number(*other, value.parse().unwrap_or(f64::NAN)),
            };
            Leaf::Attr { key, test }
        }
        plain => Leaf::Plain(plain.clone()),
    }
}

impl Node {
    fn eval(&self, index: &Index, s: SpanIdx) -> bool {
        match self {
            Node::And(parts) => parts.iter().all(|p| p.eval(index, s)),
            Node::Or(parts) => parts.iter().any(|p| p.eval(index, s)),
            Node::Not(inner) => !inner.eval(index, s),
            Node::Leaf(leaf) => leaf.eval(index, s),
        }
    }
}

impl Leaf {
    fn eval(&self, index: &Index, s: SpanIdx) -> bool {
        let span = index.span(s);
        match self {
            Leaf::Never => false,
            Leaf::Service(t) => t.test(index, span.service),
            Leaf::Name(t) => t.test(index, span.name),
            Leaf::Has(key) => attr_blocks(index, s).any(|b| index.data.attrs_of(b).any(|a| a.key == *key)),
            Leaf::Attr { key, test } => attr_blocks(index, s)
                .any(|b| index.data.attrs_of(b).any(|a| a.key == *key && test.test(index, a.value))),
            Leaf::Plain(term) => match term {
                Term::Kind(mask) => mask & kind_bit(span.kind) != 0,
                Term::Error => span.is_error(),
                Term::Root => index.parent(s).is_none(),
                Term::Orphan => index.is_orphan(s),
                Term::Duration(op, ns) => op.compare(span.duration(), *ns),
                Term::SelfTime(op, ns) => op.compare(self_time(index, s), *ns),
                Term::LinksOut(op, n) => op.compare(index.links_out(s).len() as u64, *n),
                Term::LinksIn(op, n) => op.compare(index.links_in(s).len() as u64, *n),
                Term::LinkUnresolved => {
                    index.links_out(s).any(|l| matches!(index.link_target(l), LinkTarget::Missing { .. }))
                }
                Term::Trace { prefix, digits } => span.trace_id.0 >> (128 - 4 * digits) == *prefix,
                // Compiled into the leaves above, with their names looked up.
                Term::Service { .. } | Term::Name { .. } | Term::Has(_) | Term::Attr { .. } => false,
            },
        }
    }
}

/// The attribute blocks a key is looked up in: the span's, its resource's and its scope's.
fn attr_blocks(index: &Index, s: SpanIdx) -> impl Iterator<Item = Slice> {
    let span = index.span(s);
    let data = &index.data;
    let resource = data.resources.get(span.resource.0 as usize).map(|r| r.attrs);
    let scope = data.scopes.get(span.scope.0 as usize).map(|sc| sc.attrs);
    std::iter::once(span.attrs).chain(resource).chain(scope)
}

impl Text {
    fn test(&self, index: &Index, sym: Sym) -> bool {
        match self {
            Text::Is(want) => sym == *want,
            Text::Contains(needle) => needle.found_in(index.str(sym)),
        }
    }
}

impl ValueTest {
    fn test(&self, index: &Index, v: Value) -> bool {
        match self {
            ValueTest::Eq { sym, int, num, boolean } => match v {
                Value::Str(x) | Value::Bytes(x) => Some(x) == *sym,
                Value::Int(i) => Some(i) == *int || num.is_some_and(|n| i as f64 == n),
                Value::Double(d) => num.is_some_and(|n| d == n),
                Value::Bool(b) => Some(b) == *boolean,
                Value::Empty | Value::Array(_) | Value::Map(_) => false,
            },
            ValueTest::Contains(needle) => match v {
                Value::Str(x) | Value::Bytes(x) => needle.found_in(index.str(x)),
                Value::Int(i) => SmallText::of(i).is_some_and(|t| needle.found_in(t.as_str())),
                Value::Double(d) => SmallText::of(d).is_some_and(|t| needle.found_in(t.as_str())),
                Value::Bool(b) => needle.found_in(if b { "true" } else { "false" }),
                Value::Empty | Value::Array(_) | Value::Map(_) => false,
            },
            ValueTest::Number(op, want) => match v {
                Value::Int(i) => op.compare(i as f64, *want),
                Value::Double(d) => op.compare(d, *want),
                Value::Str(x) => index.str(x).trim().parse::<f64>().is_ok_and(|n| op.compare(n, *want)),
                _ => false,
            },
        }
    }
}

/// A span's self time: its duration minus the union of its children's intervals, each clipped
/// to the span. Children are kept in start order, so one merging pass over them does it:
/// O(children), so every span of a trace together costs O(spans).
pub fn self_time(index: &Index, s: SpanIdx) -> u64 {
    let span = index.span(s);
    let (start, end) = (span.start, span.end);
    let mut covered = 0u64;
    let mut run: Option<(u64, u64)> = None;
    for &c in index.children(s) {
        let child = index.span(c);
        let (a, b) = (child.start.max(start), child.end.min(end));
        if a >= b {
            continue;
        }
        run = match run {
            Some((rs, re)) if a <= re => Some((rs, re.max(b))),
            Some((rs, re)) => {
                covered += re - rs;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some((rs, re)) = run {
        covered += re - rs;
    }
    span.duration().saturating_sub(covered)
}

#[cfg(test)]
mod tests;
