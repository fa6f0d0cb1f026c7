-- Long-running operations of this service (scheme activation, portfolio scoring, ...),
-- with progress readable over the API while they run.
CREATE TABLE job (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    state TEXT NOT NULL,
    processed BIGINT NOT NULL,
    total BIGINT NOT NULL,
    detail TEXT NOT NULL,
    error TEXT NOT NULL,
    subject TEXT NOT NULL,
    create_time BIGINT NOT NULL,
    update_time BIGINT NOT NULL,
    end_time BIGINT
);
CREATE INDEX job_scope ON job (kind, scope, state);
CREATE INDEX job_recent ON job (kind, create_time);
