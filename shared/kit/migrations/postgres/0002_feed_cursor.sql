-- Where each change-feed consumer of this service stopped: one row per followed feed.
CREATE TABLE feed_cursor (
    source TEXT PRIMARY KEY,
    last_sequence BIGINT NOT NULL,
    update_time BIGINT NOT NULL
);
