-- One currency: the currency of each holding (money is compared in a scheme's reporting
-- currency); contactability from the interaction service (accessibility).
ALTER TABLE client_holding ADD COLUMN currency TEXT NOT NULL DEFAULT '';

CREATE TABLE client_contact (
    client_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    update_time INTEGER NOT NULL
);
