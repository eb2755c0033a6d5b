//! Placeholder until this format's parser lands.

use super::LoadError;
use crate::model::{Dataset, Format, Location};

pub fn parse(_input: &[u8], path: &str) -> Result<Dataset, LoadError> {
    Err(LoadError::new(path, None, Location::Unknown, "this format is not supported yet"))
}
