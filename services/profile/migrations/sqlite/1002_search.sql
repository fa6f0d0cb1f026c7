-- Name search and duplicate blocking. Grams come from the legal and display names (see
-- domain::text); existing records are indexed by `crm reindex`.
CREATE TABLE search_grams (
    gram TEXT NOT NULL,
    client_id TEXT NOT NULL,
    PRIMARY KEY (gram, client_id)
) WITHOUT ROWID;
ALTER TABLE clients ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
CREATE INDEX clients_by_name_key ON clients (name_key, id);
