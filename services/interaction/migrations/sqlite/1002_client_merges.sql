-- Clients the profile service merged into another (from its change feed): the history
-- recorded under the duplicate is read together with the survivor's.
CREATE TABLE client_merges (
    duplicate_id TEXT PRIMARY KEY,
    survivor_id TEXT NOT NULL,
    merge_time INTEGER NOT NULL
);
CREATE INDEX client_merges_by_survivor ON client_merges (survivor_id);
