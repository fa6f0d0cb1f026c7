//! Verifying a trail: every record is checked against its predecessor and its keyed hash,
//! sequences run without a gap, the head row matches the last record, and every checkpoint
//! written outside the database matches the record it names — so an edited, inserted,
//! removed or re-hashed record, and a cut tail, are each found and named.

use std::path::Path;

use sqlx::AnyPool;

use super::{AuditRecord, AuditSeal, checkpoint::Checkpoint, list};
use crate::ApiResult;

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The record (sequence) where the chain first goes wrong.
    pub sequence: i64,
    /// What is wrong with it.
    pub problem: String,
}

/// The outcome of a verification.
#[derive(Clone, Debug, Default)]
pub struct Verification {
    /// Records checked.
    pub records: u64,
    /// Records written before the trail was keyed (plain hashes).
    pub legacy_records: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// The last checkpoint's sequence, if any.
    pub last_checkpoint: Option<i64>,
    /// The first problem, if any.
    pub finding: Option<Finding>,
}

impl Verification {
    /// The first bad record, if any.
    pub fn first_bad(&self) -> Option<&Finding> {
        self.finding.as_ref()
    }

    fn fail(&mut self, sequence: i64, problem: impl Into<String>) {
        if self.finding.is_none() {
            self.finding = Some(Finding { sequence, problem: problem.into() });
        }
    }
}

/// Verifies the trail in `pool` with `seal`, and against the checkpoints in `checkpoints`
/// (the seal's own file when `None`).
pub async fn verify(pool: &AnyPool, seal: &AuditSeal, checkpoints: Option<&Path>) -> ApiResult<Verification> {
    let mut report = Verification::default();
    let mut prev: Option<AuditRecord> = None;
    let mut keyed_seen = false;
    loop {
        let after = prev.as_ref().map_or(0, |r| r.sequence);
        let batch = list(pool, after, 1_000, None).await?;
        if batch.is_empty() {
            break;
        }
        for record in batch {
            report.records += 1;
            let expected_sequence = prev.as_ref().map_or(1, |p| p.sequence + 1);
            let expected_prev = prev.as_ref().map_or("", |p| p.hash.as_str());
            if record.sequence != expected_sequence {
                report
                    .fail(record.sequence, format!("records {expected_sequence}..{} are missing", record.sequence - 1));
            } else if record.prev_hash != expected_prev {
                report.fail(record.sequence, "does not follow the record before it (prev_hash differs)");
            } else if record.key_id.is_empty() && keyed_seen {
                report.fail(record.sequence, "an unkeyed record after keyed ones (written without the audit key)");
            } else {
                match record.expected_hash(seal) {
                    None => report.fail(
                        record.sequence,
                        format!("sealed with key {} but the configured audit key is {}", record.key_id, seal.key_id()),
                    ),
                    Some(hash) if hash != record.hash => {
                        report.fail(record.sequence, "its content does not match its hash (edited or forged)")
                    }
                    Some(_) => {}
                }
            }
            if record.key_id.is_empty() {
                report.legacy_records += 1;
            } else {
                keyed_seen = true;
            }
            prev = Some(record);
        }
    }
    check_head(pool, prev.as_ref(), &mut report).await?;
    if let Some(path) = checkpoints.or(seal.checkpoints()) {
        check_checkpoints(pool, seal, path, prev.as_ref().map_or(0, |r| r.sequence), &mut report).await?;
    }
    Ok(report)
}

/// The head row must name the last record.
async fn check_head(pool: &AnyPool, last: Option<&AuditRecord>, report: &mut Verification) -> ApiResult<()> {
    let (sequence, hash): (i64, String) =
        sqlx::query_as("SELECT last_sequence, last_hash FROM audit_head WHERE id = 1").fetch_one(pool).await?;
    let (last_sequence, last_hash) = last.map_or((0, ""), |r| (r.sequence, r.hash.as_str()));
    if sequence != last_sequence || hash != last_hash {
        report.fail(
            last_sequence.min(sequence).max(1),
            format!("the head names record {sequence} but the last record is {last_sequence}"),
        );
    }
    Ok(())
}

/// Every checkpoint must be authentic and match the record it names, and none may name a
/// record past the end (a cut tail).
async fn check_checkpoints(
    pool: &AnyPool,
    seal: &AuditSeal,
    path: &Path,
    last: i64,
    report: &mut Verification,
) -> ApiResult<()> {
    let checkpoints = Checkpoint::read_all(path).map_err(crate::ApiError::internal)?;
    for checkpoint in checkpoints {
        report.checkpoints += 1;
        report.last_checkpoint = Some(checkpoint.sequence);
        if !checkpoint.is_authentic(seal) {
            report.fail(checkpoint.sequence, "a checkpoint outside the database is not authentic");
            continue;
        }
        if checkpoint.sequence > last {
            report.fail(
                last + 1,
                format!(
                    "records {}..{} were removed (a checkpoint names record {})",
                    last + 1,
                    checkpoint.sequence,
                    checkpoint.sequence
                ),
            );
            continue;
        }
        let stored: Option<(String,)> = sqlx::query_as("SELECT hash FROM audit_log WHERE sequence = $1")
            .bind(checkpoint.sequence)
            .fetch_optional(pool)
            .await?;
        if stored.map(|(hash,)| hash) != Some(checkpoint.hash.clone()) {
            report.fail(checkpoint.sequence, "differs from the checkpoint taken of it (rewritten)");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        audit::{checkpoint::Checkpoint, legacy_hash},
        auth::Principal,
        call::Caller,
        db::{Db, DbConfig, Migrations},
        write::Writer,
    };

    struct Trail {
        db: Db,
        dir: std::path::PathBuf,
    }

    impl Trail {
        async fn with_records(n: u8) -> Self {
            let dir = std::env::temp_dir().join(format!("crm-audit-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).expect("dir");
            let seal = AuditSeal::new(&[7; 32], Some(dir.join("t.checkpoints")));
            let cfg = DbConfig {
                url: format!("sqlite:{}", dir.join("t.db").display()),
                audit: Some(seal),
                ..DbConfig::default()
            };
            let none =
                Migrations { sqlite: sqlx::migrate!("migrations/none"), postgres: sqlx::migrate!("migrations/none") };
            let db = Db::connect_and_migrate(&cfg, none).await.expect("db");
            let writer = Writer::new(db.clone());
            let caller = Caller::new(Principal::system("t"), "/svc/UpdateThing", "req");
            for i in 0..n {
                writer
                    .run(caller.write(), async |w| w.record("thing.UPDATED", &format!("things/{i}"), "", vec![]).await)
                    .await
                    .expect("write");
            }
            Self { db, dir }
        }

        async fn checkpoint(&self) {
            let (sequence, hash): (i64, String) = sqlx::query_as("SELECT last_sequence, last_hash FROM audit_head")
                .fetch_one(self.db.reader())
                .await
                .expect("head");
            let seal = self.db.seal();
            Checkpoint::new(seal, sequence, &hash).append_to(seal.checkpoints().expect("file")).expect("written");
        }

        async fn verify(&self) -> Verification {
            verify(self.db.reader(), self.db.seal(), None).await.expect("verified")
        }

        async fn exec(&self, sql: &str) {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(self.db.writer()).await.expect("tampered");
        }
    }

    impl Drop for Trail {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    #[tokio::test]
    async fn an_intact_trail_verifies() {
        let trail = Trail::with_records(5).await;
        trail.checkpoint().await;
        let report = trail.verify().await;
        assert_eq!((report.records, report.checkpoints, report.first_bad()), (5, 1, None));
    }

    #[tokio::test]
    async fn concurrent_sink_records_are_each_durable_and_chained_in_batches() {
        let trail = Trail::with_records(2).await;
        let sink = crate::audit::AuditSink::spawn(trail.db.clone());
        let principal = Principal::system("reader");
        let reads = (0..300).map(|i| {
            let (sink, principal) = (sink.clone(), principal.clone());
            tokio::spawn(async move {
                let resource = format!("clients/{i}");
                let event = crate::audit::AuditEvent {
                    principal: &principal,
                    action: "GetClient",
                    resource: &resource,
                    request_id: "r",
                    outcome: crate::audit::Outcome::Ok,
                    detail: "tax_id".into(),
                };
                sink.record(&event).await
            })
        });
        for read in futures::future::join_all(reads).await {
            read.expect("task").expect("durable");
        }
        let report = trail.verify().await;
        assert_eq!((report.records, report.first_bad()), (302, None));
        let records = crate::audit::list(trail.db.reader(), 0, 1000, None).await.expect("records");
        let mut resources: Vec<&str> = records.iter().skip(2).map(|r| r.resource.as_str()).collect();
        resources.sort_by_key(|r| r[8..].parse::<u32>().unwrap_or(u32::MAX));
        assert_eq!(resources, (0..300).map(|i| format!("clients/{i}")).collect::<Vec<_>>(), "each once");
    }

    #[tokio::test]
    async fn an_edited_record_is_named_even_when_re_hashed_without_the_key() {
        let trail = Trail::with_records(5).await;
        trail.exec("UPDATE audit_log SET subject = 'someone-else' WHERE sequence = 3").await;
        assert_eq!(trail.verify().await.first_bad().map(|f| f.sequence), Some(3));
        // Re-hash the edited record and everything after it, as someone without the key can.
        let records = crate::audit::list(trail.db.reader(), 0, 100, None).await.expect("records");
        let mut prev = records[1].hash.clone();
        for mut record in records.into_iter().skip(2) {
            record.prev_hash = prev.clone();
            record.hash = legacy_hash(&record.content());
            trail
                .exec(&format!(
                    "UPDATE audit_log SET prev_hash = '{}', hash = '{}' WHERE sequence = {}",
                    record.prev_hash, record.hash, record.sequence
                ))
                .await;
            prev = record.hash;
        }
        trail.exec(&format!("UPDATE audit_head SET last_hash = '{prev}'")).await;
        let report = trail.verify().await;
        let finding = report.first_bad().expect("found");
        assert_eq!(finding.sequence, 3, "{finding:?}");
        assert!(finding.problem.contains("does not match its hash"), "{finding:?}");
    }

    #[tokio::test]
    async fn a_cut_tail_is_found_by_the_checkpoint_taken_outside_the_database() {
        let trail = Trail::with_records(6).await;
        trail.checkpoint().await;
        trail.exec("DELETE FROM audit_log WHERE sequence > 4").await;
        let (hash,): (String,) = sqlx::query_as("SELECT hash FROM audit_log WHERE sequence = 4")
            .fetch_one(trail.db.reader())
            .await
            .expect("record 4");
        // The head is fixed too, so the chain in the database alone looks whole.
        trail.exec(&format!("UPDATE audit_head SET last_sequence = 4, last_hash = '{hash}'")).await;
        let report = trail.verify().await;
        let finding = report.first_bad().expect("found");
        assert_eq!(finding.sequence, 5, "{finding:?}");
        assert!(finding.problem.contains("removed"), "{finding:?}");
    }

    #[tokio::test]
    async fn a_removed_record_in_the_middle_is_named() {
        let trail = Trail::with_records(5).await;
        trail.exec("DELETE FROM audit_log WHERE sequence = 2").await;
        let finding = trail.verify().await.first_bad().cloned().expect("found");
        assert_eq!(finding.sequence, 3);
        assert!(finding.problem.contains("missing"), "{finding:?}");
    }

    #[tokio::test]
    async fn another_key_is_reported_not_accepted() {
        let trail = Trail::with_records(2).await;
        let other = AuditSeal::new(&[9; 32], None);
        let report = verify(trail.db.reader(), &other, None).await.expect("verified");
        assert!(report.first_bad().expect("found").problem.contains("sealed with key"));
    }
}
