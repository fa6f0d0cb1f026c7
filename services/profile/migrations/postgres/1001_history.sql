-- Append-only history of client records. Every interactive write adds the new state;
-- a record loaded in bulk gets its first revision backfilled when it first changes.
CREATE TABLE client_revisions (
    client_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    change_time BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    request_id TEXT NOT NULL,
    changed_fields TEXT NOT NULL,
    doc BYTEA NOT NULL,
    PRIMARY KEY (client_id, revision)
);
