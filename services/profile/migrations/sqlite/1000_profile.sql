-- The client profile store. Records are kept as encoded protobuf (`doc`) next to the
-- columns that are indexed for ordering, lookup and the group hierarchy.
CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    display_key TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    update_time INTEGER NOT NULL,
    delete_time INTEGER,
    turnover_units INTEGER NOT NULL,
    parent_id TEXT,
    portfolio TEXT NOT NULL,
    revision INTEGER NOT NULL,
    merged_into TEXT,
    doc BLOB NOT NULL
);
CREATE INDEX clients_by_display ON clients (display_key, id);
CREATE INDEX clients_by_create ON clients (create_time, id);
CREATE INDEX clients_by_turnover ON clients (turnover_units, id);
CREATE INDEX clients_by_parent ON clients (parent_id);
CREATE INDEX clients_by_portfolio ON clients (portfolio, id);

-- Every identifier LookupClient accepts, normalised, pointing at its client.
-- kind: lei | reg (COUNTRY:number) | tax | acct | phone | email; owner: id of the owning record
CREATE TABLE client_keys (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    client_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    PRIMARY KEY (kind, value, client_id, owner)
) WITHOUT ROWID;
-- Uniqueness of lei/reg/tax/acct is checked inside the (single-writer) write transaction.

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    delete_time INTEGER,
    doc BLOB NOT NULL
);
CREATE INDEX contacts_by_client ON contacts (client_id, id);

CREATE TABLE holdings (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    account_number TEXT NOT NULL UNIQUE,
    revision INTEGER NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX holdings_by_client ON holdings (client_id, id);

CREATE TABLE financial_statements (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    period TEXT NOT NULL,
    period_end INTEGER NOT NULL,
    doc BLOB NOT NULL,
    UNIQUE (client_id, period)
);
CREATE INDEX statements_by_client ON financial_statements (client_id, period_end, id);
