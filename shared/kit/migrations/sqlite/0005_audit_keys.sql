-- The audit chain is sealed with a key held outside the database; each record names the
-- key that sealed it ('' for records written before). Reading the trail back filters by
-- subject, action and time.
ALTER TABLE audit_log ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_log_subject ON audit_log (subject, sequence);
CREATE INDEX audit_log_action ON audit_log (action, sequence);
CREATE INDEX audit_log_time ON audit_log (event_time);
