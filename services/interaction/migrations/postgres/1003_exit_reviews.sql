-- Exit reviews per client, opened when value scoring puts a client in REVIEW_FOR_EXIT.
CREATE TABLE exit_reviews (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    state BIGINT NOT NULL,
    create_time BIGINT NOT NULL,
    doc BYTEA NOT NULL
);
CREATE INDEX exit_reviews_by_client ON exit_reviews (client_id, create_time, id);

-- The last value tier seen on the scoring feed per client, to tell a client entering a tier
-- from one staying in it (and to ignore a replayed event).
CREATE TABLE value_tiers (
    client_id TEXT PRIMARY KEY,
    tier TEXT NOT NULL,
    sequence BIGINT NOT NULL
);
