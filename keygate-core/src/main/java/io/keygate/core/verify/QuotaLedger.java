package io.keygate.core.verify;

import io.keygate.core.model.Quota;
import io.keygate.core.store.QuotaDelta;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Live quota balances, kept in memory so that no request writes to the database; consumption is
 * flushed to the store in batches ({@link #drain}) with the usage counts.
 *
 * <p><b>Design.</b> Each key with a quota has a {@code Period}: the balance for one refill period,
 * decremented by compare-and-swap (a request is admitted only when the whole cost fits, so the
 * balance never goes below zero and concurrent requests never overspend it), plus the consumption
 * not yet flushed. When a refill boundary passes, the period is replaced by a fresh one holding the
 * refill amount; consumption of the old period that was not flushed is then irrelevant, because the
 * store applies the same reset when it receives the new period's first delta. When the verifier
 * reloads a key from the store (cache miss, or after an admin changed it), the balance is
 * re-derived as the stored balance minus what this node consumed and has not yet written, which is
 * also how balances used by other nodes reach this one (within one cache TTL).
 *
 * <p>Thread-safe.
 */
public final class QuotaLedger implements QuotaBackend {
  private static final class Period {
    final long start;
    final long end;
    final AtomicLong remaining;
    final AtomicLong pending = new AtomicLong();
    final AtomicLong inFlight = new AtomicLong();

    Period(long start, long end, long remaining) {
      this.start = start;
      this.end = end;
      this.remaining = new AtomicLong(remaining);
    }
  }

  private static final class Account {
    final AtomicReference<Period> period = new AtomicReference<>();
    volatile Quota synced;
  }

  private final ConcurrentHashMap<String, Account> accounts = new ConcurrentHashMap<>();

  /**
   * Spends {@code cost} of the key's balance.
   *
   * @return the balance after spending, or {@code -1 - balance} when the cost does not fit (nothing
   *     is spent)
   */
  @Override
  public long trySpend(String keyId, Quota stored, long cost, long nowMillis) {
    Account a = accounts.computeIfAbsent(keyId, k -> new Account());
    Period p = current(a, stored, nowMillis);
    while (true) {
      long r = p.remaining.get();
      if (r < cost) {
        return -1 - r;
      }
      if (p.remaining.compareAndSet(r, r - cost)) {
        p.pending.addAndGet(cost);
        return r - cost;
      }
    }
  }

  /**
   * Records {@code cost} that a shared {@link QuotaBackend} already admitted: it is written to the
   * store with the next flush, and this node's own balance (the fallback while the shared backend
   * is unreachable) goes down with it, never below zero.
   */
  public void spent(String keyId, Quota stored, long cost, long nowMillis) {
    Account a = accounts.computeIfAbsent(keyId, k -> new Account());
    Period p = current(a, stored, nowMillis);
    p.remaining.updateAndGet(r -> Math.max(0, r - cost));
    p.pending.addAndGet(cost);
  }

  /** The live balance without spending. */
  public long remaining(String keyId, Quota stored, long nowMillis) {
    Account a = accounts.computeIfAbsent(keyId, k -> new Account());
    return current(a, stored, nowMillis).remaining.get();
  }

  /** Seconds (at least 1) until the next refill, or 0 when the quota has none. */
  public static long secondsToRefill(Quota q, long nowMillis) {
    if (q.refill() == null) {
      return 0;
    }
    long next = q.refill().nextPeriodStart(q.refill().periodStart(nowMillis));
    return Math.max(1, (next - nowMillis + 999) / 1000);
  }

  private static Period current(Account a, Quota stored, long now) {
    while (true) {
      Period p = a.period.get();
      if (p != null && a.synced == stored && now < p.end) {
        return p;
      }
      Period next = fresh(p, stored, now);
      if (a.period.compareAndSet(p, next)) {
        a.synced = stored;
        return next;
      }
    }
  }

  /**
   * A period for {@code stored} at {@code now}: continues {@code old} when the stored quota changed
   * but the period did not (the stored balance minus what this node has not yet written), else
   * starts from the stored balance or, past a refill boundary, the refill amount.
   */
  private static Period fresh(Period old, Quota stored, long now) {
    long start;
    long end;
    if (stored.refill() == null) {
      start = Long.MIN_VALUE;
      end = Long.MAX_VALUE;
    } else {
      start = stored.refill().periodStart(now);
      end = stored.refill().nextPeriodStart(start);
    }
    long balance = stored.remainingAt(now);
    Period p;
    if (old != null && old.start == start) {
      long unwritten = old.pending.get() + old.inFlight.get();
      p = new Period(start, end, Math.max(0, balance - unwritten));
      p.pending.set(old.pending.get());
      p.inFlight.set(old.inFlight.get());
    } else {
      p = new Period(start, end, balance);
    }
    return p;
  }

  /** Removes and returns consumption not yet written; pair with {@link #written} or restore. */
  public List<QuotaDelta> drain() {
    List<QuotaDelta> out = new ArrayList<>();
    for (Map.Entry<String, Account> e : accounts.entrySet()) {
      Period p = e.getValue().period.get();
      if (p == null) {
        continue;
      }
      long n = p.pending.getAndSet(0);
      if (n > 0) {
        p.inFlight.addAndGet(n);
        out.add(
            new QuotaDelta(
                e.getKey(), n, p.start == Long.MIN_VALUE ? null : Instant.ofEpochMilli(p.start)));
      }
    }
    return out;
  }

  /** Marks drained deltas as stored. */
  public void written(List<QuotaDelta> deltas) {
    settle(deltas, false);
  }

  /** Gives back drained deltas that could not be stored. */
  public void restore(List<QuotaDelta> deltas) {
    settle(deltas, true);
  }

  private void settle(List<QuotaDelta> deltas, boolean restore) {
    for (QuotaDelta d : deltas) {
      Account a = accounts.get(d.keyId());
      Period p = a == null ? null : a.period.get();
      long start = d.periodStart() == null ? Long.MIN_VALUE : d.periodStart().toEpochMilli();
      if (p == null || p.start != start) {
        continue; // the period ended; a refill supersedes its consumption
      }
      p.inFlight.addAndGet(-d.consumed());
      if (restore) {
        p.pending.addAndGet(d.consumed());
      }
    }
  }
}
