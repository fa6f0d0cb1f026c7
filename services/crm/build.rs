//! Marks whether the PostgreSQL half of the crash test can run in this build:
//! without `CRM_TEST_POSTGRES_URL` its tests are compiled as ignored (shown as skipped).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(crm_pg)");
    println!("cargo::rerun-if-env-changed=CRM_TEST_POSTGRES_URL");
    if std::env::var("CRM_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=crm_pg");
    }
}
