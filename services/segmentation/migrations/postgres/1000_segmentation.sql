-- Segmentation plans, the local client projection fed by the profile (and scoring) feeds,
-- and membership history (valid_to = 9223372036854775807 while current).
CREATE TABLE scheme (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    revision BIGINT NOT NULL,
    create_time BIGINT NOT NULL,
    update_time BIGINT NOT NULL,
    doc BYTEA NOT NULL
);
CREATE INDEX scheme_state ON scheme (state, id);

CREATE TABLE client_view (
    id TEXT PRIMARY KEY,
    deleted BIGINT NOT NULL,
    doc TEXT NOT NULL,
    update_time BIGINT NOT NULL
);

CREATE TABLE client_holding (
    client_id TEXT NOT NULL,
    holding_id TEXT NOT NULL,
    product_line TEXT NOT NULL,
    balance_units BIGINT NOT NULL,
    transaction_count BIGINT NOT NULL,
    transaction_volume_units BIGINT NOT NULL,
    PRIMARY KEY (client_id, holding_id)
);

CREATE TABLE client_value (
    client_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    update_time BIGINT NOT NULL
);

CREATE TABLE membership (
    scheme_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    level BIGINT NOT NULL,
    segment_id TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_to BIGINT NOT NULL,
    PRIMARY KEY (scheme_id, client_id, level, valid_from)
);
CREATE INDEX membership_segment ON membership (scheme_id, segment_id, valid_to, client_id);
CREATE INDEX membership_client ON membership (client_id, valid_to);
