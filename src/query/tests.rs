use super::parse::{Expr, Op, Term, kind_bit, parse};
use super::stats::{Stats, percentile};
use super::*;
use crate::app::testdata::{self, BATCH, CONSUMER, DB, GATHER, ITEM, SCATTER};
use crate::model::SpanKind;

fn term(q: &str) -> Term {
    match parse(q) {
        Ok(Expr::Term(t)) => t,
        other => panic!("{q}: {other:?}"),
    }
}

fn error(q: &str) -> (usize, String) {
    let e = parse(q).expect_err(q);
    (e.column, e.to_string())
}

const MS: u64 = 1_000_000;

#[test]
fn every_term_kind_parses() {
    assert_eq!(term("service=web"), Term::Service { contains: false, text: "web".into() });
    assert_eq!(term("service~WE"), Term::Service { contains: true, text: "WE".into() });
    assert_eq!(term("name=\"POST /orders\""), Term::Name { contains: false, text: "POST /orders".into() });
    assert_eq!(term("name~post"), Term::Name { contains: true, text: "post".into() });
    assert_eq!(term("kind=server"), Term::Kind(kind_bit(SpanKind::Server)));
    assert_eq!(
        term("kind=producer|CONSUMER"),
        Term::Kind(kind_bit(SpanKind::Producer) | kind_bit(SpanKind::Consumer))
    );
    assert_eq!(term("error"), Term::Error);
    assert_eq!(term("root"), Term::Root);
    assert_eq!(term("orphan"), Term::Orphan);
    assert_eq!(term("duration>50ms"), Term::Duration(Op::Gt, 50 * MS));
    assert_eq!(term("duration<=2s"), Term::Duration(Op::Le, 2_000 * MS));
    assert_eq!(term("duration>=1.5us"), Term::Duration(Op::Ge, 1_500));
    assert_eq!(term("duration<3µs"), Term::Duration(Op::Lt, 3_000));
    assert_eq!(term("duration=7ns"), Term::Duration(Op::Eq, 7));
    assert_eq!(term("duration>2m"), Term::Duration(Op::Gt, 120_000 * MS));
    assert_eq!(term("self>10ms"), Term::SelfTime(Op::Gt, 10 * MS));
    assert_eq!(term("links>0"), Term::LinksOut(Op::Gt, 0));
    assert_eq!(term("linked_by>=2"), Term::LinksIn(Op::Ge, 2));
    assert_eq!(term("link_unresolved"), Term::LinkUnresolved);
    assert_eq!(term("trace=C0FFee"), Term::Trace { prefix: 0xc0ffee, digits: 6 });
    assert_eq!(term("http.route"), Term::Has("http.route".into()));
    assert_eq!(
        term("http.status_code>=500"),
        Term::Attr { key: "http.status_code".into(), op: Op::Ge, value: "500".into() }
    );
    assert_eq!(
        term("db.statement~\"select \\\"x\\\" \\\\ y\""),
        Term::Attr { key: "db.statement".into(), op: Op::Contains, value: "select \"x\" \\ y".into() }
    );
    assert_eq!(
        term("peer.service=\"a b\""),
        Term::Attr { key: "peer.service".into(), op: Op::Eq, value: "a b".into() }
    );
}

#[test]
fn and_or_not_and_parentheses_nest_as_written() {
    let svc = |s: &str| Expr::Term(Term::Service { contains: false, text: s.into() });
    // `or` binds looser than juxtaposition.
    assert_eq!(
        parse("service=a error or service=b").unwrap(),
        Expr::Or(vec![Expr::And(vec![svc("a"), Expr::Term(Term::Error)]), svc("b")])
    );
    assert_eq!(
        parse("service=a (error or root)").unwrap(),
        Expr::And(vec![svc("a"), Expr::Or(vec![Expr::Term(Term::Error), Expr::Term(Term::Root)])])
    );
    assert_eq!(parse("not error").unwrap(), Expr::Not(Box::new(Expr::Term(Term::Error))));
    assert_eq!(parse("-error").unwrap(), parse("not error").unwrap());
    assert_eq!(parse("NOT (error OR root)").unwrap(), parse("-(error or root)").unwrap());
    assert_eq!(
        parse("not not root").unwrap(),
        Expr::Not(Box::new(Expr::Not(Box::new(Expr::Term(Term::Root)))))
    );
    // Keywords only count as whole words: a key that starts with them is a key.
    assert_eq!(term("order.id"), Term::Has("order.id".into()));
    assert_eq!(term("notes"), Term::Has("notes".into()));
    assert_eq!(parse("  ( ( root ) )  ").unwrap(), Expr::Term(Term::Root));
}

#[test]
fn errors_name_the_column_where_the_problem_starts() {
    assert_eq!(
        error("duration>5xs"),
        (10, "unknown unit `xs` at column 10 (units: ns, us, ms, s, m)".into())
    );
    assert_eq!(error("duration>50").0, 12, "missing unit: where the unit should be");
    assert_eq!(error("duration>").1, "expected a value after `>` at column 10");
    assert_eq!(error("service>3").1, "service takes = or ~, not `>` at column 8");
    assert_eq!(error("error=true").1, "error takes no value: write error or not error at column 6");
    assert_eq!(error("kind=server|bogus").0, 13);
    assert_eq!(error("root (error").1, "`(` is never closed at column 6");
    assert_eq!(error("root)").1, "unmatched `)` at column 5");
    assert_eq!(error("name=\"abc").1, "quote is never closed at column 6");
    assert_eq!(error("root or").1, "expected a term after `or` at column 8");
    assert_eq!(error("not").0, 4);
    assert_eq!(error("- root").0, 2);
    assert_eq!(error("()").0, 2);
    assert_eq!(error("").1, "empty query: expected a term such as duration>50ms at column 1");
    assert_eq!(error("trace=xyz").1, "expected 1 to 32 hex digits of a trace id, found `xyz` at column 7");
    assert_eq!(error("http.status_code>abc").0, 18);
    assert_eq!(error("a!=b").0, 2);
    assert_eq!(error("links>x").0, 7);
    assert_eq!(error("duration>1e99999s").0, 10);
    // Columns count characters, not bytes.
    assert_eq!(error("name=注文 duration>5xs").0, 18);
    let deep = "(".repeat(200) + "root" + &")".repeat(200);
    assert!(error(&deep).1.contains("nested more than"));
}

/// The spans of `index` a query matches, as span ids (hex), in index order.
fn run(index: &Index, q: &str) -> Vec<u64> {
    let query = Query::new(q, index).unwrap();
    (0..index.span_count() as u32)
        .map(SpanIdx)
        .filter(|&s| query.matches(index, s))
        .map(|s| index.span(s).span_id.0)
        .collect()
}

#[test]
fn terms_test_what_they_name() {
    let index = testdata::links_index();
    assert_eq!(run(&index, "service=postgres"), [DB.0]);
    assert_eq!(run(&index, "service=nobody"), [0u64; 0], "a name never interned matches nothing");
    assert_eq!(run(&index, "name~ORDERS"), [0xa1, 0xb1]);
    assert_eq!(run(&index, "name~注文"), [0xc4]);
    assert_eq!(run(&index, "name~文処理"), [0xc4], "a non-ASCII needle found past the start");
    assert_eq!(run(&index, "name~処理X"), [0u64; 0]);
    assert_eq!(run(&index, "kind=producer|consumer"), [0xa2, 0xb2, BATCH.0]);
    assert_eq!(run(&index, "error"), [DB.0]);
    assert_eq!(run(&index, "root trace=c0ff"), [BATCH.0]);
    assert_eq!(run(&index, "duration>=15ms service=worker"), [BATCH.0, ITEM.0]);
    assert_eq!(run(&index, "links>=1 not trace=5ca7"), [BATCH.0, ITEM.0]);
    assert_eq!(run(&index, "linked_by>0"), [0xa2, 0xb2, 0x51, 0x52, 0x53]);
    assert_eq!(run(&index, "link_unresolved"), [BATCH.0]);
    // Attributes of the span, its resource and its scope.
    assert_eq!(run(&index, "messaging.system=kafka"), [BATCH.0]);
    assert_eq!(run(&index, "messaging.batch.message_count>1.5"), [BATCH.0]);
    assert_eq!(run(&index, "messaging.batch.message_count=2"), [BATCH.0]);
    assert_eq!(run(&index, "messaging.batch.message_count~2"), [BATCH.0]);
    assert_eq!(run(&index, "host.name~NODE trace=c0ff name=\"db query\""), [DB.0]);
    assert_eq!(run(&index, "host.name trace=c0ff").len(), 5, "resource attribute present");
    assert_eq!(run(&index, "nonexistent.key"), [0u64; 0]);
    assert_eq!(run(&index, "service=gateway or service=search").len(), 5);
    assert_eq!(run(&index, "trace=5ca7 -(name~shard)"), [0x50, GATHER.0]);
}

#[test]
fn self_time_subtracts_the_union_of_children_clipped_to_the_span() {
    let index = testdata::links_index();
    let at = |id| {
        testdata::span(
            &index,
            if (0x50..0x60).contains(&id) { SCATTER } else { CONSUMER },
            crate::model::SpanId(id),
        )
    };
    // consume batch 2000..2050, children 2005..2020, 2020..2030, 2030..2035: 50 - 30 = 20 ms.
    assert_eq!(self_time(&index, at(BATCH.0)), 20 * MS);
    // process item 2005..2020 with db 2006..2010.
    assert_eq!(self_time(&index, at(ITEM.0)), 11 * MS);
    assert_eq!(self_time(&index, at(DB.0)), 4 * MS, "a leaf's self time is its duration");
    // search 3000..3040; shards 3001..3013, ..3016, ..3019 overlap into 3001..3019; gather
    // 3021..3030: 40 - 18 - 9 = 13 ms.
    assert_eq!(self_time(&index, at(0x50)), 13 * MS);
    let q = Query::new("self>=13ms trace=5ca7", &index).unwrap();
    assert!(q.uses_self_time());
    assert!(q.matches(&index, at(0x50)) && !q.matches(&index, at(GATHER.0)));
}

#[test]
fn contains_ignores_case_beyond_ascii_without_copying() {
    let n = Needle::new("ÜNÏ");
    assert!(n.found_in("x ünïcödé") && n.found_in("ÜNÏ") && !n.found_in("un"));
    assert!(Needle::new("ß").found_in("Straße") && !Needle::new("ss").found_in("Straße"));
    assert!(Needle::new("ПРИВ").found_in("привет") && !Needle::new("прив").found_in("при"));
    assert!(Needle::new("").found_in("") && Needle::new("A").found_in("xa"));
}

#[test]
fn percentiles_are_nearest_rank() {
    let v: Vec<u64> = (1..=200).collect();
    assert_eq!(percentile(&v, 50), 100);
    assert_eq!(percentile(&v, 99), 198);
    assert_eq!(percentile(&[7], 99), 7);
    assert_eq!(percentile(&[1, 2, 3], 50), 2);
    assert_eq!(percentile(&[], 50), 0);
}

#[test]
fn stats_group_by_service_and_name_sorted_by_self_time() {
    let index = testdata::links_index();
    let t = testdata::trace(&index, SCATTER);
    let stats = Stats::compute(&index, index.trace_spans(t).iter().copied(), index.trace(t).duration());
    let row = |svc: &str, name: &str| {
        stats.operations.iter().find(|o| index.str(o.service) == svc && index.str(o.name) == name).unwrap()
    };
    assert_eq!(row("gateway", "search").self_ns, 13 * MS);
    assert_eq!(row("gateway", "gather").max_ns, 9 * MS);
    assert_eq!(row("search", "shard-3").p99_ns, 18 * MS);
    assert!(stats.operations.windows(2).all(|w| w[0].self_ns >= w[1].self_ns));
    let gateway = stats.services.iter().find(|s| index.str(s.service) == "gateway").unwrap();
    assert_eq!((gateway.spans, gateway.self_ns), (2, 22 * MS));
    // The three shards (12 + 15 + 18 ms, all self time) outweigh the gateway.
    assert_eq!(index.str(stats.services[0].service), "search");
    assert_eq!(stats.services[0].self_ns, 45 * MS);
    assert!((stats.share(20 * MS) - 50.0).abs() < 1e-9);
}
