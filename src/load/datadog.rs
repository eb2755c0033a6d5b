//! Placeholder until the Datadog parser lands.

use super::LoadError;
use crate::model::{Dataset, Format, Location};

pub fn parse(_input: &[u8], path: &str, format: Format) -> Result<Dataset, LoadError> {
    Err(LoadError::new(path, Some(format), Location::Unknown, "this format is not supported yet"))
}

/// Tells v0.4 from v0.5 msgpack by the shape of the outer array.
pub fn sniff_msgpack(_bytes: &[u8]) -> Option<Format> {
    Some(Format::DatadogMsgpackV04)
}
