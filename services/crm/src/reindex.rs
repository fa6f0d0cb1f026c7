//! `crm reindex`: rebuilds the profile search index and duplicate-blocking keys of every
//! record, for databases created before they existed (or after the matching rules
//! change). Idempotent; runs beside a live service.

use crm_kit::{auth::Principal, call::WriteCtx, config::Config, write::Writer};
use crm_profile::ProfileStore;

use crate::{progress, runtime};

/// Records per transaction.
const BATCH: usize = 2_000;

/// `crm reindex`.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let db = runtime::profile_db(config).await?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clients").fetch_one(db.reader()).await?;
    let store = ProfileStore::new(Writer::new(db.clone()), config.field_cipher()?);
    let principal = Principal::system("reindex");
    let ctx = WriteCtx::internal(&principal, "Reindex", "");
    let bar = progress::bar(u64::try_from(total).unwrap_or(0), "reindexing", "clients");
    let mut after = String::new();
    let mut done = 0u64;
    while let Some(last) =
        store.reindex_batch(ctx, &after, BATCH).await.map_err(|e| anyhow::anyhow!("reindexing: {e}"))?
    {
        after = last;
        done += BATCH as u64;
        bar.bar.set_position(done.min(bar.bar.length().unwrap_or(done)));
    }
    bar.finish();
    db.close().await;
    Ok(())
}
