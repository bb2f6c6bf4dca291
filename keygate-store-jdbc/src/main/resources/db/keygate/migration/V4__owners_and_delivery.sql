-- Owners, outbox delivery state, expiry notices, usage analytics and anomaly alerts.
-- Shared by SQLite and PostgreSQL: keep it portable. Instants are BIGINT epoch milliseconds.

-- Owners. Their channels (webhook URLs and signing secrets, email addresses) are one value sealed
-- with AES-256-GCM under the configured data key ("v<version>:<base64>"): never plaintext here.
CREATE TABLE owners (
    owner_id   VARCHAR(255) NOT NULL PRIMARY KEY,
    name       TEXT         NOT NULL,
    channels   TEXT         NOT NULL,
    created_at BIGINT       NOT NULL,
    updated_at BIGINT       NOT NULL
);

-- When an event's deliveries were created (NULL: not yet; the dispatcher picks it up).
ALTER TABLE outbox_events ADD COLUMN dispatched_at BIGINT;
CREATE INDEX outbox_events_undispatched_idx ON outbox_events (created_at)
    WHERE dispatched_at IS NULL;

-- One row per event and channel. A worker claims due rows by setting a lease.
CREATE TABLE deliveries (
    delivery_id     VARCHAR(64)  NOT NULL PRIMARY KEY,
    event_id        VARCHAR(64)  NOT NULL,
    owner_id        VARCHAR(255) NOT NULL,
    channel_id      VARCHAR(64)  NOT NULL,
    channel_kind    VARCHAR(16)  NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    attempts        INTEGER      NOT NULL,
    next_attempt_at BIGINT,
    last_error      TEXT,
    last_status     INTEGER,
    created_at      BIGINT       NOT NULL,
    updated_at      BIGINT       NOT NULL,
    delivered_at    BIGINT,
    lease_token     VARCHAR(64),
    leased_until    BIGINT,
    CONSTRAINT deliveries_event_channel_uq UNIQUE (event_id, channel_id),
    CONSTRAINT deliveries_status_check
        CHECK (status IN ('pending', 'delivered', 'dead', 'cancelled'))
);

CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_event_idx ON deliveries (event_id);

-- Expiry notices sent, one per key and threshold (days; 0 = key.expired), so that two nodes
-- can never send the same notice twice. event_id is NULL for a threshold skipped because a
-- nearer one applied first.
CREATE TABLE expiry_notices (
    key_id   VARCHAR(64) NOT NULL,
    days     INTEGER     NOT NULL,
    sent_at  BIGINT      NOT NULL,
    event_id VARCHAR(64),
    PRIMARY KEY (key_id, days)
);

-- Verifications per key, minute (epoch ms of the minute's start) and outcome code.
CREATE TABLE usage_minutes (
    key_id    VARCHAR(64) NOT NULL,
    minute_at BIGINT      NOT NULL,
    outcome   VARCHAR(32) NOT NULL,
    requests  BIGINT      NOT NULL,
    PRIMARY KEY (key_id, minute_at, outcome)
);

CREATE INDEX usage_minutes_minute_idx ON usage_minutes (minute_at);

-- Client networks (IPv4 /24, IPv6 /48) each key was used from.
CREATE TABLE key_networks (
    key_id     VARCHAR(64) NOT NULL,
    network    VARCHAR(64) NOT NULL,
    first_seen BIGINT      NOT NULL,
    last_seen  BIGINT      NOT NULL,
    PRIMARY KEY (key_id, network)
);

-- Grants a key used: the scope that satisfied a request, the allowlist entry that matched.
CREATE TABLE key_grant_use (
    key_id       VARCHAR(64)  NOT NULL,
    kind         VARCHAR(16)  NOT NULL,
    grant_value  VARCHAR(255) NOT NULL,
    last_used_at BIGINT       NOT NULL,
    PRIMARY KEY (key_id, kind, grant_value),
    CONSTRAINT key_grant_use_kind_check CHECK (kind IN ('scope', 'ip'))
);

-- Anomaly alerts, deduplicated per key, type and window.
CREATE TABLE alerts (
    alert_id        VARCHAR(64)  NOT NULL PRIMARY KEY,
    key_id          VARCHAR(64)  NOT NULL,
    owner_id        VARCHAR(255),
    type            VARCHAR(64)  NOT NULL,
    window_start    BIGINT       NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    details         TEXT         NOT NULL,
    created_at      BIGINT       NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by VARCHAR(255),
    CONSTRAINT alerts_dedup_uq UNIQUE (key_id, type, window_start),
    CONSTRAINT alerts_status_check CHECK (status IN ('open', 'acknowledged'))
);

CREATE INDEX alerts_status_idx ON alerts (status, created_at);
