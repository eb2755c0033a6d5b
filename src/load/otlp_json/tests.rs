use super::*;
use crate::load::Progress;

/// Reads `json` with one body, as the loader would inside a span.
fn run<B: Body<'static>>(json: &'static str, body: B) -> (Ctx<'static>, B::Out) {
    let progress = Box::leak(Box::new(Progress::new()));
    let job = Box::leak(Box::new(Job { workers: 1, min_chunk: 1, progress, release: None }));
    let mut cx = Ctx::new(json.as_bytes(), "t.json", job, 0);
    let mut de = serde_json::Deserializer::from_str(json);
    let out = Lenient { cx: &mut cx, field: "value", body }.deserialize(&mut de).unwrap();
    (cx, out)
}

fn any(json: &'static str) -> (Ctx<'static>, Value) {
    let (cx, v) = run(json, AnyValue);
    (cx, v.unwrap_or(Value::Empty))
}

#[test]
fn hex_ids_in_either_case() {
    assert_eq!(
        decode_id("5B8EFFF798038103D269B633813FC60C", 16),
        Ok((0x5b8e_fff7_9803_8103_d269_b633_813f_c60c, false))
    );
    assert_eq!(decode_id("eee19b7ec3c1b174", 8), Ok((0xeee1_9b7e_c3c1_b174, false)));
    assert_eq!(decode_id("FFFFFFFFFFFFFFFFffffffffffffffff", 16), Ok((u128::MAX, false)));
}

#[test]
fn base64_ids_are_recognised_by_length_and_charset() {
    // Tempo writes 16 and 8 raw bytes as standard base64 (FORMATS.md §5.2).
    assert_eq!(
        decode_id("S/kvNXezTaajzpKdDg5HNg==", 16),
        Ok((0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736, true))
    );
    assert_eq!(decode_id("U5lcP0LNitg=", 8), Ok((0x5399_5c3f_42cd_8ad8, true)));
    // Unpadded is accepted when it cannot be a short hex id.
    assert_eq!(
        decode_id("S/kvNXezTaajzpKdDg5HNg", 16),
        Ok((0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736, true))
    );
    assert_eq!(decode_id("abcdef0123456789abcdef", 16), Err(IdError::Length(22, 32)));
    // Right length and padding, but the wrong number of bytes.
    assert_eq!(decode_id("AAAAAAAAAAAAAAAAAAAAAAA=", 16), Err(IdError::NotHexOrBase64));
}

#[test]
fn invalid_ids_say_why() {
    assert_eq!(decode_id("", 16), Err(IdError::Empty));
    assert_eq!(decode_id(&"0".repeat(32), 16), Err(IdError::Zero));
    assert_eq!(decode_id("AAAAAAAAAAAAAAAAAAAAAA==", 16), Err(IdError::Zero));
    assert_eq!(decode_id("aaaaaaaaaaaaaaaa", 16), Err(IdError::Length(16, 32)));
    assert_eq!(decode_id("123", 8), Err(IdError::Length(3, 16)));
    assert_eq!(decode_id("not-an-id", 8), Err(IdError::NotHexOrBase64));
    assert_eq!(decode_id("zzzzzzzzzzzzzzzz", 8), Err(IdError::NotHexOrBase64));
    assert_eq!(IdError::Length(16, 32).to_string(), "id has 16 hex digits, expected 32");
}

#[test]
fn any_value_scalars() {
    let (cx, v) = any(r#"{"stringValue":"hi"}"#);
    assert_eq!(v, Value::Str(cx.sink.ds.strings.get("hi").unwrap()));
    assert_eq!(any(r#"{"boolValue":false}"#).1, Value::Bool(false));
    assert_eq!(any(r#"{"intValue":"-42"}"#).1, Value::Int(-42));
    assert_eq!(any(r#"{"int_value":42}"#).1, Value::Int(42));
    assert_eq!(any(r#"{"intValue":"9223372036854775807"}"#).1, Value::Int(i64::MAX));
    assert_eq!(any(r#"{"intValue":1e3}"#).1, Value::Int(1000));
    assert_eq!(any(r#"{"doubleValue":"-Infinity"}"#).1, Value::Double(f64::NEG_INFINITY));
    assert_eq!(any(r#"{"doubleValue":"2.5"}"#).1, Value::Double(2.5));
    assert!(matches!(any(r#"{"doubleValue":"NaN"}"#).1, Value::Double(d) if d.is_nan()));
    let (cx, v) = any(r#"{"bytesValue":"AAAwOQ=="}"#);
    assert_eq!(v, Value::Bytes(cx.sink.ds.strings.get("AAAwOQ==").unwrap()));
    assert_eq!(any("{}").1, Value::Empty);
    assert_eq!(any(r#"{"stringValue":null}"#).1, Value::Empty);
    assert_eq!(any(r#"{"somethingNew":{"a":[1]}}"#).1, Value::Empty);
    for (_, v) in [any(r#"{"intValue":"1"}"#), any(r#"{"stringValue":"x"}"#)] {
        assert_ne!(v, Value::Empty);
    }
}

#[test]
fn any_value_containers_are_added_before_their_parent() {
    let (cx, v) = any(
        r#"{"kvlistValue":{"values":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"},{}]}}},{"key":"m","value":{"kvlistValue":{"values":[{"key":"x","value":{}}]}}},{"key":"e","value":{"kvlistValue":{}}}]}}"#,
    );
    let Value::Map(map) = v else { panic!("{v:?}") };
    let ds = &cx.sink.ds;
    assert_eq!(map.len, 3);
    let Some(Value::Array(arr)) = ds.find_attr(map, "a") else { panic!("no array") };
    assert_eq!(ds.values_of(arr).collect::<Vec<_>>(), [Value::Int(1), Value::Empty]);
    // The nested map's block was added first, so the parent's block comes after it.
    let Some(Value::Map(inner)) = ds.find_attr(map, "m") else { panic!("no nested map") };
    assert_eq!((inner, map.start), (Slice { start: 0, len: 1 }, 1));
    assert_eq!(ds.find_attr(inner, "x"), Some(Value::Empty));
    assert!(matches!(ds.find_attr(map, "e"), Some(Value::Map(empty)) if empty.is_empty()));
    assert!(cx.fault.is_none());
}

#[test]
fn wrong_types_become_faults_not_errors() {
    let (cx, v) = any(r#"{"intValue":"12abc"}"#);
    assert_eq!(v, Value::Empty);
    assert_eq!(
        cx.fault.as_deref(),
        Some(r#"intValue: expected a 64-bit integer or decimal string, found string "12abc""#)
    );
    let (cx, _) = any(r#"{"intValue":18446744073709551615}"#);
    assert!(cx.fault.unwrap().ends_with("found 18446744073709551615"));
    let (cx, _) = any(r#"{"intValue":1.5}"#);
    assert!(cx.fault.unwrap().ends_with("found 1.5"));
    let (cx, _) = any(r#"{"boolValue":[1,{"a":2}]}"#);
    assert_eq!(cx.fault.as_deref(), Some("boolValue: expected true or false, found an array"));
    let (cx, _) = any(r#"{"arrayValue":{"values":"no"}}"#);
    assert_eq!(cx.fault.as_deref(), Some(r#"arrayValue: expected an array of AnyValue, found string "no""#));
    // Only the first fault is kept: it is the one that explains the skip.
    let (cx, _) = any(r#"{"intValue":"x","boolValue":1}"#);
    assert!(cx.fault.unwrap().starts_with("intValue"));
    let (cx, out) = run(r#""SPAN_KIND_SOMETHING""#, Kind);
    assert_eq!(out, SpanKind::Unspecified);
    assert!(cx.fault.unwrap().starts_with("value: expected a span kind"));
}

#[test]
fn long_strings_are_cut_in_messages_on_a_char_boundary() {
    let s = format!("{}ü{}", "a".repeat(39), "b".repeat(10));
    assert_eq!(Found::Str(&s).to_string(), format!("string \"{}\"…", "a".repeat(39)));
    assert_eq!(Found::Str("a\u{1b}").to_string(), "string \"a\\u{1b}\"");
    assert_eq!(Found::F64(1e300).to_string(), "1e300");
}

#[test]
fn enums_as_numbers_or_names() {
    assert_eq!(run("3", Kind).1, SpanKind::Client);
    assert_eq!(run(r#""SPAN_KIND_CONSUMER""#, Kind).1, SpanKind::Consumer);
    assert_eq!(run("99", Kind).1, SpanKind::Unspecified);
    assert_eq!(run(r#""STATUS_CODE_ERROR""#, StatusCodeBody).1, Some(StatusCode::Error));
    assert_eq!(run("1", StatusCodeBody).1, Some(StatusCode::Ok));
    let status = |json| run(json, Status).1.code;
    assert_eq!(status(r#"{"code":2}"#), StatusCode::Error);
    assert_eq!(status(r#"{"deprecatedCode":2}"#), StatusCode::Error);
    assert_eq!(status(r#"{"deprecated_code":"DEPRECATED_STATUS_CODE_OK"}"#), StatusCode::Unset);
    // `code` wins over the deprecated field when both are present.
    assert_eq!(status(r#"{"deprecatedCode":2,"code":1}"#), StatusCode::Ok);
    assert_eq!(status("{}"), StatusCode::Unset);
}

#[test]
fn times_never_go_through_f64() {
    assert_eq!(run(r#""18446744073709551615""#, Fixed64).1, Some(u64::MAX));
    assert_eq!(run("1581452772000000321", Fixed64).1, Some(1_581_452_772_000_000_321));
    let (cx, out) = run("-5", Fixed64);
    assert_eq!(out, None);
    assert!(cx.fault.is_some());
    assert_eq!(run("4294967296", Fixed32).1, 0);
    assert_eq!(run(r#""257""#, Fixed32).1, 257);
}

#[test]
fn resuming_after_a_broken_document_finds_the_next_line_starting_a_document() {
    let text = b"{\"a\": [\n  {\"nested\": 1}\n{\"next\": 2}\n";
    assert_eq!(next_document_line(text, 0), 24);
    assert_eq!(next_document_line(text, 24), text.len());
    assert_eq!(object_start(b"[ {\n   \"k\": 1}", 8), 2);
    assert_eq!(object_start(b"\"k\"", 1), 0);
}
