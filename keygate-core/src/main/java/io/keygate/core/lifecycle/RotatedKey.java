package io.keygate.core.lifecycle;

import io.keygate.core.model.ApiKeyRecord;
import java.time.Instant;

/**
 * The result of a rotation.
 *
 * @param newKey the replacement, with its secret (shown once)
 * @param oldKey the old key as stored after the rotation
 * @param oldKeyRevokesAt when the old key stops working
 */
public record RotatedKey(CreatedKey newKey, ApiKeyRecord oldKey, Instant oldKeyRevokesAt) {}
