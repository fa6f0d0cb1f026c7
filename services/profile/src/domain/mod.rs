//! Domain rules of the client record, independent of transport and storage.

pub mod children;
pub mod client;
pub mod codes;
pub mod duplicates;
pub mod filter;
pub mod lei;
pub mod lookup;
pub mod mask;
pub mod names;
pub mod policy;
pub mod quality;
pub mod text;
