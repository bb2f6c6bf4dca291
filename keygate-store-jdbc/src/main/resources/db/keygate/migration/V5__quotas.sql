-- Per-key quotas (credits). All four columns are NULL for a key without a quota.
-- quota_remaining: balance as of the last flush (the live balance is kept in memory and
--   consumption is written in batches, never once per request);
-- quota_refill_amount / quota_refill_interval ('daily' | 'monthly'): reset the balance to the
--   amount at each UTC period boundary, or NULL for a one-off allowance;
-- quota_refilled_at: epoch ms of the start of the period quota_remaining belongs to.
ALTER TABLE api_keys ADD COLUMN quota_remaining BIGINT;
ALTER TABLE api_keys ADD COLUMN quota_refill_amount BIGINT;
ALTER TABLE api_keys ADD COLUMN quota_refill_interval VARCHAR(16);
ALTER TABLE api_keys ADD COLUMN quota_refilled_at BIGINT;
