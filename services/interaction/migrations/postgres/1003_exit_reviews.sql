-- Exit reviews per client, opened when a client enters REVIEW_FOR_EXIT or EXITING.
CREATE TABLE exit_reviews (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    state BIGINT NOT NULL,
    create_time BIGINT NOT NULL,
    doc BYTEA NOT NULL
);
CREATE INDEX exit_reviews_by_client ON exit_reviews (client_id, create_time, id);

-- The last value tier (scoring feed) and lifecycle stage (profile feed) seen per client, to
-- tell a client entering REVIEW_FOR_EXIT or EXITING from one staying there (and to ignore a
-- replayed event).
CREATE TABLE review_signals (
    client_id TEXT NOT NULL,
    signal TEXT NOT NULL,
    value TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    PRIMARY KEY (client_id, signal)
);
