package io.keygate.core.lifecycle;

/**
 * Who asks for a change, for authorization and the audit log.
 *
 * @param id an admin token's key id, {@code cli:<user>} or {@code system}
 * @param ownerRestriction when non-null, the actor may only see and change this owner's keys; other
 *     owners' keys are reported as not found
 * @param sourceIp the caller's IP, or {@code null}
 */
public record Actor(String id, String ownerRestriction, String sourceIp) {
  /** Keygate's own background jobs. */
  public static final Actor SYSTEM = new Actor("system", null, null);

  /** Whether this actor may touch keys of {@code ownerId}. */
  public boolean canSee(String ownerId) {
    return ownerRestriction == null || ownerRestriction.equals(ownerId);
  }
}
