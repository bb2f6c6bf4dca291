-- Cross-node change feed: the database path for cache invalidation, beside Redis pub/sub.
-- Every transaction that changes a key (revocation, disable, rotation deadline, settings) or imports
-- keys appends rows here just before it commits. key_changes_head.last_seq is taken with a row lock
-- (the last lock such a transaction takes), so sequence numbers are dense and commit in order: a
-- node that reads last_seq = N can read every row up to N, and a missing row means it was pruned.

CREATE TABLE key_changes_head (
    id       INTEGER NOT NULL PRIMARY KEY,
    last_seq BIGINT  NOT NULL,
    CONSTRAINT key_changes_head_single_row CHECK (id = 1)
);

INSERT INTO key_changes_head (id, last_seq) VALUES (1, 0);

-- kind: 'changed' (drop the cached copy), 'revoked' (mark it revoked at revoked_at, epoch ms) or
-- 'imported' (re-read the imported prefixes; key_hash is NULL). key_hash is the stored keyed hash,
-- never a raw key. at: when the change was made (epoch ms), for pruning. origin: the store instance
-- (node) that wrote it, which already applied the change to its own cache.
CREATE TABLE key_changes (
    seq        BIGINT       NOT NULL PRIMARY KEY,
    kind       VARCHAR(16)  NOT NULL,
    key_hash   VARCHAR(128),
    revoked_at BIGINT,
    at         BIGINT       NOT NULL,
    origin     VARCHAR(64)  NOT NULL,
    CONSTRAINT key_changes_kind_check CHECK (kind IN ('changed', 'revoked', 'imported'))
);

CREATE INDEX key_changes_at_idx ON key_changes (at);
