-- Admin tokens are listed apart from API keys (/v1/admin-tokens); this partial index serves that
-- listing without scanning every key. API-key listings keep using api_keys_created_idx.
CREATE INDEX api_keys_admin_tokens_idx ON api_keys (created_at, key_id) WHERE type = 'admin';
