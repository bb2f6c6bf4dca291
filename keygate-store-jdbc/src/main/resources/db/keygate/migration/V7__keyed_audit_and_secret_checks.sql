-- Keyed audit chain (HMAC-SHA256 under an audit key kept outside the database) and the check
-- values that let every node confirm it holds the same secrets as the others.

-- The audit key version an event is linked under; 0: written before this migration, linked with
-- the public SHA-256 (they stay verifiable; see AuditChain).
ALTER TABLE audit_log ADD COLUMN key_version INTEGER NOT NULL DEFAULT 0;

-- The sealed head: keyed_from is the first keyed event (0 until a node with an audit key seals
-- the head), mac the HMAC under audit key key_version over (keyed_from, last_seq, last_hash).
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN key_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN mac VARCHAR(64);

-- One row per secret version ever used with this database: a value made from the secret that
-- identifies it without revealing it (HMAC of a fixed label; for the data key a sealed constant).
-- The first node to use a version records it; every other node must match it.
CREATE TABLE secret_checks (
    secret      VARCHAR(32)  NOT NULL,
    version     INTEGER      NOT NULL,
    check_value VARCHAR(255) NOT NULL,
    PRIMARY KEY (secret, version)
);
