//! Row decoding: records are stored as encoded protobuf in a `doc` column.

use crm_kit::{ApiError, ApiResult};
use prost::Message;
use sqlx::{Row, any::AnyRow};

/// Decodes the `doc` column of a row.
pub fn doc<M: Message + Default>(row: &AnyRow) -> ApiResult<M> {
    let bytes: Vec<u8> = row.try_get("doc")?;
    M::decode(bytes.as_slice()).map_err(|err| ApiError::internal(anyhow::anyhow!("corrupt stored record: {err}")))
}

/// Decodes the `doc` column of every row.
pub fn docs<M: Message + Default>(rows: &[AnyRow]) -> ApiResult<Vec<M>> {
    rows.iter().map(doc).collect()
}
