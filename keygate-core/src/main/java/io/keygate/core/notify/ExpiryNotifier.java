package io.keygate.core.notify;

import io.keygate.core.events.EventTypes;
import io.keygate.core.lifecycle.KeyService;
import io.keygate.core.model.ApiKeyRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The expiry job: a {@code key.expiring} event when a key comes within each configured threshold
 * (default 30, 7 and 1 days) of its expiry, and one {@code key.expired} event when it passes it.
 *
 * <p><b>Contract.</b> Each (key, threshold) notice is sent once, however often and on however many
 * nodes the job runs: the store records it under a unique constraint in the same transaction as the
 * outbox event. Thresholds are handled nearest first, so a key that is already within several (say,
 * created with a 5-day lifetime) gets only the nearest notice and the farther ones are recorded as
 * skipped. Thread-safe; the host schedules {@link #run()}.
 */
public final class ExpiryNotifier {
  private static final int BATCH = 500;

  private final NotifyStore store;
  private final KeyService keys;
  private final Clock clock;
  private final List<Integer> ascending;

  /**
   * @param thresholdDays days before expiry at which to notify (each 1..3650)
   */
  public ExpiryNotifier(
      NotifyStore store, KeyService keys, Clock clock, List<Integer> thresholdDays) {
    this.store = Objects.requireNonNull(store, "store");
    this.keys = Objects.requireNonNull(keys, "keys");
    this.clock = Objects.requireNonNull(clock, "clock");
    TreeSet<Integer> t = new TreeSet<>();
    for (int d : thresholdDays) {
      if (d < 1) {
        throw new IllegalArgumentException("expiry thresholds must be >= 1 day, was " + d);
      }
      t.add(d);
    }
    this.ascending = List.copyOf(t);
  }

  /** Sends every notice due now; returns how many events were written. */
  public int run() {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    int sent = 0;
    for (int i = 0; i < ascending.size(); i++) {
      int days = ascending.get(i);
      List<Integer> farther = ascending.subList(i + 1, ascending.size());
      List<ApiKeyRecord> due;
      do {
        due = store.expiringWithoutNotice(days, now, BATCH);
        for (ApiKeyRecord k : due) {
          Map<String, Object> data = new LinkedHashMap<>();
          data.put("days_left", daysLeft(k.expiresAt(), now));
          data.put("threshold_days", days);
          data.put("expires_at", k.expiresAt().toString());
          if (store.recordExpiryNotice(
              k.keyId(),
              days,
              new ArrayList<>(farther),
              keys.event(EventTypes.KEY_EXPIRING, k, now, data),
              now)) {
            sent++;
          }
        }
      } while (due.size() == BATCH);
    }
    List<ApiKeyRecord> expired;
    do {
      expired = store.expiredWithoutNotice(now, BATCH);
      for (ApiKeyRecord k : expired) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("expires_at", k.expiresAt().toString());
        if (store.recordExpiryNotice(
            k.keyId(),
            0,
            new ArrayList<>(ascending),
            keys.event(EventTypes.KEY_EXPIRED, k, now, data),
            now)) {
          sent++;
        }
      }
    } while (expired.size() == BATCH);
    return sent;
  }

  /** Whole days until {@code expiresAt}, rounded up (29.2 days left reads as 30). */
  public static long daysLeft(Instant expiresAt, Instant now) {
    long ms = Duration.between(now, expiresAt).toMillis();
    return ms <= 0 ? 0 : (ms + 86_399_999L) / 86_400_000L;
  }
}
