-- Scale-out: keys imported by their plain SHA-256, and cluster-wide job leases.

-- A key imported from another system is stored by the hex SHA-256 of its raw value until its first
-- successful use re-hashes it under the pepper (then both columns are cleared). Its `hash` column
-- holds an unmatchable placeholder meanwhile. legacy_prefix: the key's prefix, for which keys that
-- lack Keygate's checksum are still looked up.
ALTER TABLE api_keys ADD COLUMN legacy_sha256 VARCHAR(64);
ALTER TABLE api_keys ADD COLUMN legacy_prefix VARCHAR(64);
CREATE UNIQUE INDEX api_keys_legacy_sha256_idx ON api_keys (legacy_sha256);

-- One row per background job: the node holding it runs the job until leased_until (epoch ms).
-- Taken and renewed by an atomic UPDATE ... WHERE holder = me OR leased_until < now.
CREATE TABLE job_leases (
    job          VARCHAR(128) NOT NULL PRIMARY KEY,
    holder       VARCHAR(128) NOT NULL,
    leased_until BIGINT       NOT NULL
);
