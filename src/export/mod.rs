//! `Index` → files other tools read: the writers behind `weft export`. Each format is one file;
//! `model`, `load` and `index` stay free of output details.

pub mod otlp_json;
pub mod otlp_proto;
