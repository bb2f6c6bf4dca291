package io.keygate.core.model;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Objects;

/**
 * A key's credits: how many more requests (or units of cost) it may make, with an optional refill.
 *
 * <p>The stored {@code remaining} is the balance as of the last flush; the live balance is kept in
 * memory by the verifier and written back in batches, never once per request. A refill sets the
 * balance to {@code refillAmount} at each UTC period boundary (midnight for {@code daily}, the
 * first of the month for {@code monthly}); balance not used in a period is not carried over.
 *
 * @param remaining balance, {@code >= 0}
 * @param refillAmount balance after each refill, or {@code 0} with {@code refill == null}
 * @param refill refill period, or {@code null} for a one-off allowance
 * @param refilledAt start of the period {@code remaining} belongs to (the last refill or the time
 *     the quota was set)
 */
public record Quota(long remaining, long refillAmount, Refill refill, Instant refilledAt) {
  /** Largest balance or refill amount accepted. */
  public static final long MAX = 1_000_000_000_000L;

  /** How often the balance is reset to the refill amount. */
  public enum Refill {
    DAILY,
    MONTHLY;

    /** The wire name, e.g. {@code daily}. */
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a wire name; {@code IllegalArgumentException} for anything else. */
    public static Refill fromWire(String s) {
      if ("daily".equals(s)) {
        return DAILY;
      }
      if ("monthly".equals(s)) {
        return MONTHLY;
      }
      throw new IllegalArgumentException("refill interval must be 'daily' or 'monthly', was " + s);
    }

    /** Start (epoch ms, UTC) of the period containing {@code epochMilli}. */
    public long periodStart(long epochMilli) {
      long day = Math.floorDiv(epochMilli, 86_400_000L);
      if (this == DAILY) {
        return day * 86_400_000L;
      }
      LocalDate d = LocalDate.ofEpochDay(day).withDayOfMonth(1);
      return d.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    /** Start (epoch ms, UTC) of the period after the one starting at {@code periodStart}. */
    public long nextPeriodStart(long periodStart) {
      if (this == DAILY) {
        return periodStart + 86_400_000L;
      }
      LocalDate d = LocalDate.ofEpochDay(Math.floorDiv(periodStart, 86_400_000L)).plusMonths(1);
      return d.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }
  }

  /** Validates the fields. */
  public Quota {
    if (remaining < 0 || remaining > MAX) {
      throw new IllegalArgumentException(
          "quota remaining must be 0.." + MAX + ", was " + remaining);
    }
    if (refill == null ? refillAmount != 0 : refillAmount < 1 || refillAmount > MAX) {
      throw new IllegalArgumentException(
          "quota refill amount must be 1.." + MAX + " with an interval, was " + refillAmount);
    }
    Objects.requireNonNull(refilledAt, "refilledAt");
  }

  /**
   * The balance at {@code nowMilli}: the stored one, or the refill amount when a refill boundary
   * has passed since {@code refilledAt}.
   */
  public long remainingAt(long nowMilli) {
    if (refill != null && refilledAt.toEpochMilli() < refill.periodStart(nowMilli)) {
      return refillAmount;
    }
    return remaining;
  }
}
