//! Resource names: `clients/{client}` and the sub-resources under it (see
//! `crm_kit::names`).

pub use crm_kit::names::{child_id, child_name, client_id, client_name, new_id};
