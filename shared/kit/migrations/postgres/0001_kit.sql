-- Tables every service database has: change feed, audit trail, idempotency keys.
-- Kit migrations use versions below 1000; service migrations start at 1000.
CREATE TABLE feed_counter (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    last_sequence BIGINT NOT NULL
);
INSERT INTO feed_counter (id, last_sequence) VALUES (1, 0);

CREATE TABLE outbox (
    sequence BIGINT PRIMARY KEY,
    commit_time BIGINT NOT NULL,
    kind TEXT NOT NULL,
    resource TEXT NOT NULL,
    aggregate TEXT NOT NULL,
    request_id TEXT,
    traceparent TEXT,
    payload BYTEA NOT NULL
);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    last_sequence BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_sequence, last_hash) VALUES (1, 0, '');

CREATE TABLE audit_log (
    sequence BIGINT PRIMARY KEY,
    event_time BIGINT NOT NULL,
    subject TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    request_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_resource ON audit_log (resource, sequence);

CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    request_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    resource TEXT NOT NULL,
    create_time BIGINT NOT NULL,
    PRIMARY KEY (scope, request_id)
);
