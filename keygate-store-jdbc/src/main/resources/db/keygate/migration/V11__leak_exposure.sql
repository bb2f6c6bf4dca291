-- Leak response without blind spots (issue 20).
-- exposure: where the key was found ('exposed': public URL, pushed commit, public report;
-- 'prevented': staged change or pre-commit/CI catch, recorded only). live_key: 0 for test keys, so
-- leak-response averages can leave them out even when the policy revokes them.
-- found_at keeps its name and holds the exposure time (commit date, the finder's timestamp).
-- Existing incidents are kept as what they were: exposed (their live keys were revoked).

ALTER TABLE leak_incidents ADD COLUMN exposure VARCHAR(16) NOT NULL DEFAULT 'exposed';
ALTER TABLE leak_incidents ADD COLUMN live_key SMALLINT NOT NULL DEFAULT 1;
UPDATE leak_incidents SET live_key = 0 WHERE action = 'test_key_recorded';
