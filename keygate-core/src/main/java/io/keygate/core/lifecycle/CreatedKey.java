package io.keygate.core.lifecycle;

import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.model.ApiKeyRecord;

/**
 * A new key: its record and the secret, which exists nowhere else and must be shown once.
 *
 * @param record what was stored
 * @param secret the raw key
 */
public record CreatedKey(ApiKeyRecord record, ApiKeySecret secret) {}
