package io.keygate.core.verify;

import io.keygate.core.model.ApiKeyRecord;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fans one verification (or one canary alarm) out to several listeners, each isolated from the
 * others: a listener that throws neither stops the ones after it nor changes the answer. Failures
 * are counted per listener and logged through {@link System#getLogger} (the core has no logging
 * library) on the 1st, 2nd, 4th, 8th, ... failure of each, so a listener failing on every request
 * cannot flood the log. Immutable list; thread-safe.
 */
final class Listeners implements VerificationListener, CanaryAlarm {
  private static final Logger LOG = System.getLogger(Listeners.class.getName());

  private final List<VerificationListener> verifications;
  private final List<CanaryAlarm> alarms;
  private final AtomicLong[] failures;

  Listeners(List<VerificationListener> verifications, List<CanaryAlarm> alarms) {
    this.verifications = List.copyOf(verifications);
    this.alarms = List.copyOf(alarms);
    this.failures = new AtomicLong[this.verifications.size() + this.alarms.size()];
    for (int i = 0; i < failures.length; i++) {
      failures[i] = new AtomicLong();
    }
  }

  /** Whether there is no verification listener (the verifier then skips the call and timing). */
  boolean noVerificationListener() {
    return verifications.isEmpty();
  }

  @Override
  public void onVerification(
      VerifyRequest request, Verification result, Instant at, long elapsedNanos) {
    for (int i = 0; i < verifications.size(); i++) {
      VerificationListener l = verifications.get(i);
      try {
        l.onVerification(request, result, at, elapsedNanos);
      } catch (RuntimeException e) {
        failed(i, l, e);
      }
    }
  }

  @Override
  public void tripped(ApiKeyRecord key, VerifyRequest req) {
    for (int i = 0; i < alarms.size(); i++) {
      CanaryAlarm a = alarms.get(i);
      try {
        a.tripped(key, req);
      } catch (RuntimeException e) {
        failed(verifications.size() + i, a, e);
      }
    }
  }

  /** Failures of all listeners since start. */
  long failures() {
    long n = 0;
    for (AtomicLong f : failures) {
      n += f.get();
    }
    return n;
  }

  private void failed(int index, Object listener, RuntimeException e) {
    long n = failures[index].incrementAndGet();
    if (Long.bitCount(n) == 1) {
      // the class and message only: a listener's exception may carry the request, never the key
      LOG.log(
          Level.WARNING,
          "listener {0} failed ({1} failures so far): {2}",
          listener.getClass().getName(),
          n,
          e.getClass().getName());
    }
  }
}
