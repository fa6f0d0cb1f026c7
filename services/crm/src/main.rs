//! `crm`: run, seed, migrate and administer the corporate client management suite.

fn main() -> anyhow::Result<()> {
    crm::cli::main()
}
