package io.keygate.server.notify;

import io.keygate.core.notify.DataCipher;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.notify.StoredOwner;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Re-seals owner channels under the current data-key version, after {@code keygate
 * rotate-data-key}, so the older version can be retired.
 *
 * <p>Design note: owners are walked in id order in batches; each row is opened, sealed again and
 * written back only if it still holds the value that was read (compare-and-set), so an owner
 * updated meanwhile by the API keeps its update (already sealed under the newest version a node
 * knows). Each row is its own write: interrupting the walk loses nothing and running it again skips
 * rows already under the current version.
 *
 * <p><b>Security guarantees.</b> Plaintext channels exist only in memory for the duration of one
 * row; nothing is printed but counts. A row that does not open (tampered, or sealed under a version
 * not configured) is left as it is and counted as failed. Not thread-safe: one walk at a time.
 */
public final class ChannelReseal {
  /** Default number of owners read per batch. */
  public static final int DEFAULT_BATCH = 200;

  /**
   * Outcome of a walk.
   *
   * @param scanned owners read
   * @param resealed rows written under the current version
   * @param changedMeanwhile rows changed by someone else between read and write (left to them)
   * @param failed rows that did not open
   */
  public record Progress(long scanned, long resealed, long changedMeanwhile, long failed) {}

  private final NotifyStore store;
  private final DataCipher cipher;

  /** A walk over {@code store}'s owners with {@code cipher}'s versions. */
  public ChannelReseal(NotifyStore store, DataCipher cipher) {
    this.store = Objects.requireNonNull(store, "store");
    this.cipher = Objects.requireNonNull(cipher, "cipher");
  }

  /** Owners per data-key version of their sealed channels (-1: not a sealed value). */
  public Map<Integer, Long> countByVersion() {
    Map<Integer, Long> out = new TreeMap<>();
    String after = null;
    while (true) {
      List<StoredOwner> batch = store.owners(after, DEFAULT_BATCH);
      if (batch.isEmpty()) {
        return out;
      }
      for (StoredOwner o : batch) {
        out.merge(DataCipher.versionOf(o.sealedChannels()), 1L, Long::sum);
      }
      after = batch.get(batch.size() - 1).ownerId();
    }
  }

  /**
   * Re-seals every owner not yet under the current version, {@code batch} at a time, telling {@code
   * progress} after each batch.
   */
  public Progress run(int batch, Consumer<Progress> progress) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be >= 1, was " + batch);
    }
    long scanned = 0;
    long resealed = 0;
    long changed = 0;
    long failed = 0;
    String after = null;
    while (true) {
      List<StoredOwner> owners = store.owners(after, batch);
      if (owners.isEmpty()) {
        return new Progress(scanned, resealed, changed, failed);
      }
      for (StoredOwner o : owners) {
        scanned++;
        String sealed = o.sealedChannels();
        if (!cipher.needsReseal(sealed)) {
          continue;
        }
        String context = Owners.context(o.ownerId());
        String again;
        try {
          again = cipher.seal(cipher.open(sealed, context), context);
        } catch (IllegalStateException e) {
          failed++;
          continue;
        }
        if (store.replaceSealedChannels(o.ownerId(), sealed, again)) {
          resealed++;
        } else {
          changed++;
        }
      }
      after = owners.get(owners.size() - 1).ownerId();
      progress.accept(new Progress(scanned, resealed, changed, failed));
    }
  }
}
