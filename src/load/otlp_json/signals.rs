//! The other OpenTelemetry signals in an OTLP JSON file: one Collector file exporter serving the
//! traces, metrics and logs pipelines writes all three into one file, a line each, in any order.
//! The trace and log lines are loaded (`logs.rs` reads the logs); `resourceMetrics` documents are
//! counted here (`FileInfo::other_signals`) so that none goes unmentioned.

use super::*;

/// The keys under which each level of a metrics document lists the next (current, snake_case and
/// pre-1.0 names, FORMATS.md §13).
const METRIC_LEVELS: &[&[&str]] =
    &[&["scopeMetrics", "scope_metrics", "instrumentationLibraryMetrics"], &["metrics"]];

/// The metrics of a `resourceMetrics` value (an array of ResourceMetrics).
pub(super) fn count_metrics<'a, A: MapAccess<'a>>(map: &mut A) -> Result<u64, A::Error> {
    map.next_value_seed(CountAt(METRIC_LEVELS))
}

/// Counts the elements of the arrays found by following `levels` of keys down through arrays and
/// objects. Any other type anywhere counts 0: a count must not fail a document whose traces load.
struct CountAt(&'static [&'static [&'static str]]);

impl<'de> DeserializeSeed<'de> for CountAt {
    type Value = u64;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CountAt {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut n = 0u64;
        if self.0.is_empty() {
            while seq.next_element::<IgnoredAny>()?.is_some() {
                n += 1;
            }
        } else {
            while let Some(k) = seq.next_element_seed(CountAt(self.0))? {
                n += k;
            }
        }
        Ok(n)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let mut n = 0u64;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match self.0.split_first() {
                Some((keys, rest)) if keys.contains(&&*key) => n += map.next_value_seed(CountAt(rest))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(n)
    }

    fn visit_bool<E>(self, _: bool) -> Result<u64, E> {
        Ok(0)
    }
    fn visit_i64<E>(self, _: i64) -> Result<u64, E> {
        Ok(0)
    }
    fn visit_u64<E>(self, _: u64) -> Result<u64, E> {
        Ok(0)
    }
    fn visit_f64<E>(self, _: f64) -> Result<u64, E> {
        Ok(0)
    }
    fn visit_str<E>(self, _: &str) -> Result<u64, E> {
        Ok(0)
    }
    fn visit_unit<E>(self) -> Result<u64, E> {
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(levels: &'static [&'static [&'static str]], json: &str) -> u64 {
        let mut de = serde_json::Deserializer::from_str(json);
        CountAt(levels).deserialize(&mut de).unwrap()
    }

    #[test]
    fn counts_metrics_under_every_name_and_nothing_in_wrong_types() {
        let old = r#"[{"instrumentationLibraryMetrics":[{"metrics":[{},{}]}]},{"scopeMetrics":"oops"},
                      {"scope_metrics":[{"metrics":{"a":[1,2]}}]}, 7]"#;
        assert_eq!(count(METRIC_LEVELS, old), 2);
        let metrics =
            r#"[{"resource":{},"scopeMetrics":[{"metrics":[{"name":"a","gauge":{"dataPoints":[{},{}]}}]}]}]"#;
        assert_eq!(count(METRIC_LEVELS, metrics), 1);
    }
}
