-- Leak response: incidents (one confirmed key found in one place by one source) and canaries.
-- Portable: instants are BIGINT epoch milliseconds.

CREATE TABLE leak_incidents (
    incident_id VARCHAR(64)  NOT NULL PRIMARY KEY,
    dedupe_key  VARCHAR(64)  NOT NULL,
    key_id      VARCHAR(64)  NOT NULL,
    owner_id    VARCHAR(255),
    key_type    VARCHAR(64)  NOT NULL,
    key_hint    VARCHAR(255),
    source      VARCHAR(64)  NOT NULL,
    url         TEXT,
    file_path   TEXT,
    line_no     BIGINT,
    commit_sha  VARCHAR(64),
    found_at    BIGINT       NOT NULL,
    reported_at BIGINT       NOT NULL,
    revoked_at  BIGINT,
    action      VARCHAR(32)  NOT NULL,
    reporter    VARCHAR(255) NOT NULL
);

-- A repeat report of the same (key, source, location) maps to the same dedupe key.
CREATE UNIQUE INDEX leak_incidents_dedupe_idx ON leak_incidents (dedupe_key);
CREATE INDEX leak_incidents_reported_idx ON leak_incidents (reported_at, incident_id);
CREATE INDEX leak_incidents_owner_idx ON leak_incidents (owner_id, reported_at, incident_id);
CREATE INDEX leak_incidents_key_idx ON leak_incidents (key_id, reported_at, incident_id);

-- Canary marks: the decoy key itself is an ordinary row of api_keys (stored revoked).
CREATE TABLE canaries (
    key_id     VARCHAR(64)  NOT NULL PRIMARY KEY,
    owner_id   VARCHAR(255) NOT NULL,
    label      TEXT         NOT NULL,
    hint       VARCHAR(255),
    created_at BIGINT       NOT NULL,
    created_by VARCHAR(255) NOT NULL
);

CREATE INDEX canaries_owner_idx ON canaries (owner_id, created_at, key_id);
CREATE INDEX canaries_created_idx ON canaries (created_at, key_id);
