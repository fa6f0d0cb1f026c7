-- The scoring store. Records are kept as encoded protobuf (`doc`) next to the columns that
-- are indexed for ordering and lookup.

-- Every version of the value model; the highest version is current. Never updated.
CREATE TABLE value_models (
    version INTEGER PRIMARY KEY,
    create_time INTEGER NOT NULL,
    doc BLOB NOT NULL
);

-- Profitability per client and period (label such as 2026-Q3). period_end is the index of
-- the period's last month (year × 12 + month − 1); the latest period has the highest
-- (period_end, period_months).
CREATE TABLE profitability (
    client_id TEXT NOT NULL,
    period TEXT NOT NULL,
    period_end INTEGER NOT NULL,
    period_months INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    update_time INTEGER NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (client_id, period)
);
CREATE INDEX profitability_by_end ON profitability (client_id, period_end, period_months);

-- The current score of each client. composite is the composite score × 10^9; access is
-- the industry division × region the client gives; profile_grade and parent_id are the
-- profile facts the score was computed from (the feed follower rescores when they change).
CREATE TABLE value_scores (
    client_id TEXT PRIMARY KEY,
    composite INTEGER NOT NULL,
    tier TEXT NOT NULL,
    access TEXT NOT NULL,
    profile_grade TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    score_time INTEGER NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX value_scores_by_composite ON value_scores (composite, client_id);
CREATE INDEX value_scores_by_tier ON value_scores (tier, composite, client_id);
CREATE INDEX value_scores_by_access ON value_scores (access, tier);

-- Every score ever stored, for as-of reads (GetValueScore read_time). Append-only.
CREATE TABLE value_score_history (
    client_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    score_time INTEGER NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (client_id, revision)
);
