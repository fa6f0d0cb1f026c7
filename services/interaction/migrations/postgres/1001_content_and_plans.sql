-- Content items: the latest version of each, and every version ever written.
CREATE TABLE content_items (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    doc BYTEA NOT NULL
);

CREATE TABLE content_versions (
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    doc BYTEA NOT NULL,
    PRIMARY KEY (id, version)
);

-- Key-account plans per client.
CREATE TABLE account_plans (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    create_time BIGINT NOT NULL,
    doc BYTEA NOT NULL
);
CREATE INDEX account_plans_by_client ON account_plans (client_id, create_time, id);
