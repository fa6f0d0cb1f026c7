//! Names for what tests create outside the process (PostgreSQL databases, temporary
//! directories), and the sweep that removes what a crashed or killed run left behind.
//!
//! Every name carries the creating process: `crm_t_<host>_<pid>_<unix secs>_<random>` for a
//! database, `crm-test-<pid>-<label>-<random>` for a directory under the temp dir. Once per
//! test process, before its first database or directory, the leftovers of processes that are
//! gone are removed and each removal is reported on stderr:
//!
//! - a directory when its creator PID is no longer running (Linux; elsewhere directories
//!   are left alone, as liveness cannot be told);
//! - a database when its creator ran on this host and is no longer running and the database
//!   is older than [`STALE_LOCAL`], or was created on another host more than
//!   [`STALE_REMOTE`] ago. It is dropped without `FORCE`, so PostgreSQL refuses to drop a
//!   database anyone is still connected to: a database in use by a concurrently running
//!   test process is never removed.
//!
//! Names in another format (e.g. from before this scheme) are never touched.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use crm_kit::db::Db;

/// Prefix of every test database.
pub const DATABASE_PREFIX: &str = "crm_t_";
/// Prefix of every test directory under the temp dir.
pub const DIR_PREFIX: &str = "crm-test-";
/// A database of a finished process of this host is dropped once it is this old.
pub const STALE_LOCAL: Duration = Duration::from_secs(2 * 60);
/// A database created on another host is dropped once it is this old.
pub const STALE_REMOTE: Duration = Duration::from_secs(6 * 60 * 60);

/// Reports on stderr, bypassing the test harness's capture (a report of leftovers must be
/// seen even when every test passes).
pub(crate) fn report(message: &str) {
    let _ = writeln!(std::io::stderr(), "crm-testkit: {message}");
}

fn random_suffix(len: usize) -> String {
    let mut id = uuid::Uuid::new_v4().simple().to_string();
    id.truncate(len);
    id
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// This host, as 8 hex digits (FNV-1a of its host name; `0` when it cannot be read).
fn host_tag() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let name = name.trim();
    if name.is_empty() {
        return "0".to_owned();
    }
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.bytes() {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

/// Whether process `pid` of this host is running; `None` where that cannot be told.
fn pid_alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") { Some(Path::new(&format!("/proc/{pid}")).exists()) } else { None }
}

/// A fresh name for a test database.
pub(crate) fn database_name() -> String {
    format!("{DATABASE_PREFIX}{}_{}_{}_{}", host_tag(), std::process::id(), unix_now(), random_suffix(8))
}

/// Who created a test database, read back from its name.
#[derive(Debug, PartialEq, Eq)]
struct DatabaseOrigin {
    host: String,
    pid: u32,
    created: u64,
}

fn database_origin(name: &str) -> Option<DatabaseOrigin> {
    let mut fields = name.strip_prefix(DATABASE_PREFIX)?.split('_');
    let (host, pid, created, random) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() || random.is_empty() || host.is_empty() {
        return None;
    }
    Some(DatabaseOrigin { host: host.to_owned(), pid: pid.parse().ok()?, created: created.parse().ok()? })
}

/// Whether the database `name` was left behind by a process that is gone (see the module
/// documentation); `now` in unix seconds.
fn is_stale_database(name: &str, now: u64, this_host: &str) -> bool {
    let Some(origin) = database_origin(name) else { return false };
    let age = Duration::from_secs(now.saturating_sub(origin.created));
    if origin.host == this_host {
        origin.pid != std::process::id() && pid_alive(origin.pid) == Some(false) && age >= STALE_LOCAL
    } else {
        age >= STALE_REMOTE
    }
}

static DATABASES_SWEPT: AtomicBool = AtomicBool::new(false);

/// Once per process: drops the test databases left behind by processes that are gone.
pub(crate) async fn sweep_databases_once(admin: &Db) {
    if !DATABASES_SWEPT.swap(true, Ordering::SeqCst) {
        sweep_databases(admin).await;
    }
}

/// Drops the test databases left behind by processes that are gone.
async fn sweep_databases(admin: &Db) {
    let listed: Result<Vec<String>, _> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname")
            .bind(DATABASE_PREFIX)
            .fetch_all(admin.writer())
            .await;
    let names = match listed {
        Ok(names) => names,
        Err(err) => {
            report(&format!("cannot list test databases to remove leftovers: {err}"));
            return;
        }
    };
    let (now, host) = (unix_now(), host_tag());
    for name in names.into_iter().filter(|n| is_stale_database(n, now, &host)) {
        // No FORCE: PostgreSQL refuses while anyone is connected, so a database still in use
        // by another test process stays.
        let drop = format!("DROP DATABASE IF EXISTS \"{name}\"");
        match sqlx::query(sqlx::AssertSqlSafe(drop)).execute(admin.writer()).await {
            Ok(_) => report(&format!("dropped test database {name}, left behind by a process that is gone")),
            Err(err) => report(&format!("kept test database {name} (still in use?): {err}")),
        }
    }
}

/// Which process created a test directory, read back from its name.
fn dir_creator(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(DIR_PREFIX)?;
    let (pid, rest) = rest.split_once('-')?;
    if rest.is_empty() {
        return None;
    }
    pid.parse().ok()
}

static DIRS_SWEPT: AtomicBool = AtomicBool::new(false);

/// Once per process: removes the test directories of processes that are gone.
fn sweep_dirs_once(root: &Path) {
    if !DIRS_SWEPT.swap(true, Ordering::SeqCst) {
        sweep_dirs(root);
    }
}

/// Removes the test directories under `root` of processes that are gone.
fn sweep_dirs(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(dir_creator) else { continue };
        if pid == std::process::id() || pid_alive(pid) != Some(false) {
            continue;
        }
        match std::fs::remove_dir_all(entry.path()) {
            Ok(()) => report(&format!("removed {}, left behind by process {pid} (gone)", entry.path().display())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => report(&format!("cannot remove leftover {}: {err}", entry.path().display())),
        }
    }
}

/// A fresh, empty directory under the temp dir for one test (`label` says what for),
/// named so that a later run removes it if this process dies before the test does.
pub fn scratch_dir(label: &str) -> PathBuf {
    let root = std::env::temp_dir();
    sweep_dirs_once(&root);
    let dir = root.join(format!("{DIR_PREFIX}{}-{label}-{}", std::process::id(), random_suffix(12)));
    std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("creating {}: {err}", dir.display()));
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_carry_their_creator_and_fit_postgres() {
        let name = database_name();
        assert!(name.len() <= 63, "{name}");
        assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{name}");
        let origin = database_origin(&name).expect("parses");
        assert_eq!(origin.pid, std::process::id());
        assert_eq!(origin.host, host_tag());
        assert!(unix_now().abs_diff(origin.created) < 60);
    }

    #[test]
    fn only_databases_of_finished_processes_are_stale() {
        let host = host_tag();
        let now = unix_now();
        let old = now - STALE_LOCAL.as_secs() - 1;
        let mine = format!("crm_t_{host}_{}_{old}_abcd1234", std::process::id());
        assert!(!is_stale_database(&mine, now, &host), "this process is alive");
        // PID 0 is never a process of ours; on Linux /proc/0 does not exist.
        let gone = format!("crm_t_{host}_0_{old}_abcd1234");
        assert_eq!(is_stale_database(&gone, now, &host), cfg!(target_os = "linux"));
        let young = format!("crm_t_{host}_0_{now}_abcd1234");
        assert!(!is_stale_database(&young, now, &host), "too young to judge");
        let elsewhere = format!("crm_t_0000beef_1_{old}_abcd1234");
        assert!(!is_stale_database(&elsewhere, now, &host), "another host's, and recent");
        let ancient = format!("crm_t_0000beef_1_{}_abcd1234", now - STALE_REMOTE.as_secs() - 1);
        assert!(is_stale_database(&ancient, now, &host));
        for foreign in ["crm_t_5f0c2d6e9a7b4c1d8e3f2a1b0c9d8e7f", "crm_t_", "postgres", "crm_t_a_b_c_d"] {
            assert!(!is_stale_database(foreign, now, &host), "{foreign} is not in our format");
        }
    }

    #[test]
    fn scratch_dirs_carry_their_creator_and_leftovers_of_dead_processes_are_removed() {
        let dir = scratch_dir("unit");
        let name = dir.file_name().and_then(|n| n.to_str()).expect("name").to_owned();
        assert_eq!(dir_creator(&name), Some(std::process::id()));
        assert!(dir.is_dir());
        std::fs::remove_dir_all(&dir).expect("cleanup");
        assert_eq!(dir_creator("crm-test-04a4daee98b94d1fb5563d1ef1ea1a27"), None, "old format: untouched");

        // A directory of PID 0 (no such process) under a private root is swept; ours is kept.
        let root = std::env::temp_dir().join(format!("crm-sweep-{}", random_suffix(12)));
        let dead = root.join(format!("{DIR_PREFIX}0-db-{}", random_suffix(12)));
        let live = root.join(format!("{DIR_PREFIX}{}-db-{}", std::process::id(), random_suffix(12)));
        for d in [&dead, &live] {
            std::fs::create_dir_all(d).expect("create");
        }
        sweep_dirs(&root);
        assert_eq!(dead.exists(), !cfg!(target_os = "linux"));
        assert!(live.exists());
        std::fs::remove_dir_all(&root).expect("cleanup");
    }

    /// On the server of `CRM_TEST_POSTGRES_URL`: a leftover of a dead process is dropped, the
    /// same leftover with a session connected to it is kept, and so is a live process's.
    mod sweeps_leftover_databases_but_never_one_in_use {
        use crm_kit::db::DbConfig;

        use super::*;

        async fn create(admin: &Db, name: &str) {
            let sql = format!("CREATE DATABASE \"{name}\"");
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(admin.writer()).await.expect("create database");
        }

        async fn exists(admin: &Db, name: &str) -> bool {
            let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_optional(admin.writer())
                .await
                .expect("query pg_database");
            found.is_some()
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(not(crm_pg), ignore = "set CRM_TEST_POSTGRES_URL to run the PostgreSQL half")]
        async fn postgres() {
            let url = std::env::var("CRM_TEST_POSTGRES_URL").expect("CRM_TEST_POSTGRES_URL is set");
            let admin = Db::connect(&DbConfig { url: url.clone(), max_connections: 2, ..DbConfig::default() })
                .await
                .expect("connect to PostgreSQL");
            let (host, old) = (host_tag(), unix_now() - STALE_LOCAL.as_secs() - 1);
            let dead = format!("crm_t_{host}_0_{old}_{}", random_suffix(8));
            let held = format!("crm_t_{host}_0_{old}_{}", random_suffix(8));
            let alive = format!("crm_t_{host}_{}_{old}_{}", std::process::id(), random_suffix(8));
            for name in [&dead, &held, &alive] {
                create(&admin, name).await;
            }
            let session = Db::connect(&DbConfig {
                url: crate::with_database(&url, &held),
                max_connections: 1,
                ..DbConfig::default()
            })
            .await
            .expect("connect to the held database");
            sqlx::query("SELECT 1").execute(session.writer()).await.expect("a session on it");

            sweep_databases(&admin).await;
            assert!(!exists(&admin, &dead).await, "a dead process's database is dropped");
            assert!(exists(&admin, &held).await, "a database someone is connected to is kept");
            assert!(exists(&admin, &alive).await, "a running process's database is kept");

            session.close().await;
            for name in [&held, &alive] {
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(admin.writer()).await.expect("drop");
            }
            admin.close().await;
        }
    }
}
