-- Keygate schema, shared by SQLite and PostgreSQL: keep it portable.
-- Instants are BIGINT epoch milliseconds; collections and maps are JSON text.

CREATE TABLE api_keys (
    key_id         VARCHAR(64)  NOT NULL PRIMARY KEY,
    type           VARCHAR(64)  NOT NULL,
    hint           VARCHAR(255),
    hash           VARCHAR(128) NOT NULL,
    pepper_version INTEGER      NOT NULL,
    owner_id       VARCHAR(255),
    name           TEXT         NOT NULL,
    scopes         TEXT         NOT NULL,
    ip_allowlist   TEXT         NOT NULL,
    rate_limits    TEXT         NOT NULL,
    meta           TEXT         NOT NULL,
    status         VARCHAR(16)  NOT NULL,
    created_at     BIGINT       NOT NULL,
    updated_at     BIGINT       NOT NULL,
    expires_at     BIGINT,
    revoked_at     BIGINT,
    revoke_reason  TEXT,
    revokes_at     BIGINT,
    rotated_from   VARCHAR(64),
    rotated_to     VARCHAR(64),
    last_used_at   BIGINT,
    usage_count    BIGINT       NOT NULL DEFAULT 0,
    CONSTRAINT api_keys_status_check CHECK (status IN ('active', 'disabled', 'revoked'))
);

CREATE UNIQUE INDEX api_keys_hash_idx ON api_keys (hash);
CREATE INDEX api_keys_owner_created_idx ON api_keys (owner_id, created_at, key_id);
CREATE INDEX api_keys_created_idx ON api_keys (created_at, key_id);
CREATE INDEX api_keys_revokes_at_idx ON api_keys (revokes_at) WHERE revokes_at IS NOT NULL;

-- Append-only, hash-chained audit log: the store has no statement that updates or deletes it.
CREATE TABLE audit_log (
    seq       BIGINT       NOT NULL PRIMARY KEY,
    at        BIGINT       NOT NULL,
    actor     VARCHAR(255) NOT NULL,
    action    VARCHAR(128) NOT NULL,
    target_id VARCHAR(255),
    owner_id  VARCHAR(255),
    source_ip VARCHAR(64),
    details   TEXT         NOT NULL,
    prev_hash VARCHAR(64)  NOT NULL,
    hash      VARCHAR(64)  NOT NULL
);

CREATE INDEX audit_log_target_idx ON audit_log (target_id, seq);
CREATE INDEX audit_log_owner_idx ON audit_log (owner_id, seq);

-- The chain's tip. Appends lock this single row, so concurrent transactions never fork the chain.
CREATE TABLE audit_head (
    id        INTEGER     NOT NULL PRIMARY KEY,
    last_seq  BIGINT      NOT NULL,
    last_hash VARCHAR(64) NOT NULL,
    CONSTRAINT audit_head_single_row CHECK (id = 1)
);

INSERT INTO audit_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
