-- Transactional outbox: notification events written in the same transaction as the change.
-- Delivery state (attempts, channels) is added by the delivery worker's own migration.
CREATE TABLE outbox_events (
    event_id   VARCHAR(64)  NOT NULL PRIMARY KEY,
    type       VARCHAR(64)  NOT NULL,
    owner_id   VARCHAR(255),
    key_id     VARCHAR(64),
    created_at BIGINT       NOT NULL,
    data       TEXT         NOT NULL
);

CREATE INDEX outbox_events_owner_idx ON outbox_events (owner_id, created_at);
CREATE INDEX outbox_events_key_idx ON outbox_events (key_id, created_at);
CREATE INDEX outbox_events_created_idx ON outbox_events (created_at);
