-- One database per service (docs/architecture.md §1: services own their data). Run once by
-- the postgres image's entrypoint, as POSTGRES_USER in POSTGRES_DB, on an EMPTY data volume
-- only: for an existing pg-data volume run these statements by hand (or
-- `docker compose down -v`).
-- crm_profile is POSTGRES_DB itself. Compose uses the one role `crm` for all four; in
-- production give each service its own role owning its database.
CREATE DATABASE crm_segmentation OWNER crm;
CREATE DATABASE crm_scoring OWNER crm;
CREATE DATABASE crm_interaction OWNER crm;
