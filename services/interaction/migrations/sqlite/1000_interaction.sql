-- The interaction store. Records are kept as encoded protobuf (`doc`) next to the columns
-- that are indexed for ordering and lookup.
CREATE TABLE interactions (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    occur_time INTEGER NOT NULL,
    case_id TEXT,
    doc BLOB NOT NULL
);
CREATE INDEX interactions_by_client ON interactions (client_id, occur_time, id);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    state INTEGER NOT NULL,
    create_time INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX cases_by_client ON cases (client_id, create_time, id);

-- Consent, opt-out and do-not-contact instructions: append-only history.
CREATE TABLE channel_preferences (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    effective_time INTEGER NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX channel_preferences_by_client ON channel_preferences (client_id, effective_time, id);

-- One client's timeline is read from the outbox by client (StreamTimeline's backlog).
CREATE INDEX outbox_by_aggregate ON outbox (aggregate, sequence);
