-- The effective settings the security report depends on, recorded by each server at startup (and
-- again when its pepper versions change), so that `keygate report` without --url computes the
-- server's report rather than one from the shell's environment. One row (id = 1): the last node
-- to record wins. settings: JSON owned by the server (names, durations, flags; never a secret).
CREATE TABLE report_settings (
    id          INTEGER      NOT NULL PRIMARY KEY,
    node        VARCHAR(255) NOT NULL,
    recorded_at BIGINT       NOT NULL,
    settings    TEXT         NOT NULL
);
