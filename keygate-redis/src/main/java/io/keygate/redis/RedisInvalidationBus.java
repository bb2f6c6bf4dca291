package io.keygate.redis;

import io.keygate.core.verify.CredentialKind;
import io.keygate.core.verify.InvalidationBus;
import io.keygate.core.verify.Verifier;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cache invalidation over Redis pub/sub on channel {@code <prefix>invalidate}.
 *
 * <p>A message is {@code <node id> <stored hash>}; each node drops its own messages (it has already
 * invalidated locally) and calls {@link Verifier#invalidateLocal} for the others. Other news
 * travels on the same channel as {@code <node id> !<type> <args>} ({@code !} never starts a hash):
 * {@code !revoked <hash> <epoch ms>} (the key was revoked then: {@link Verifier#revokedLocal} marks
 * a cached copy revoked without a store read), {@code !imported} (keys were imported: re-read the
 * imported prefixes, off the subscription thread) and {@code !block <ip> <ms>} (a brute-force block
 * this long started). All nodes of a cluster must speak the same format: run one Keygate version
 * per cluster.
 *
 * <p><b>Ordering.</b> Key changes ({@link #publish}, {@link #publishRevoked}) wait until Redis has
 * taken the message (at most the command timeout, which Lettuce enforces), so that when a change is
 * acknowledged Redis has already pushed it to every subscribed node. A change is never failed by
 * Redis: a failed publish is counted and logged. Imports and blocks are sent without waiting (a
 * block starts on the verification path).
 *
 * <p>Messages published while a node's subscription is down are lost to that node, so on every
 * re-connection the node drops its whole cache ({@link #resubscribed}); the local cache TTL bounds
 * staleness while it is disconnected. Thread-safe.
 */
final class RedisInvalidationBus extends RedisPubSubAdapter<String, String>
    implements InvalidationBus {
  private static final Logger LOG = LoggerFactory.getLogger(RedisInvalidationBus.class);

  private final RedisAsyncCommands<String, String> redis;
  private final String channel;
  private final String nodeId = UUID.randomUUID().toString();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong publishFailures = new AtomicLong();
  private final InvalidationBus.Receiver receiver;
  private final Map<CredentialKind, RedisBruteForce> bruteForce = new ConcurrentHashMap<>();

  private final long waitMillis;

  /**
   * {@code wait}: the longest a key change waits for Redis to take its message; {@code receiver}
   * gets what the other nodes announce.
   */
  RedisInvalidationBus(
      RedisAsyncCommands<String, String> redis,
      String prefix,
      Duration wait,
      InvalidationBus.Receiver receiver) {
    this.redis = redis;
    this.receiver = receiver;
    this.channel = prefix + "invalidate";
    this.waitMillis = Math.max(1, wait.toMillis());
  }

  String channel() {
    return channel;
  }

  void attach(RedisBruteForce b) {
    bruteForce.put(b.kind(), b);
  }

  @Override
  public void publish(String hash) {
    awaitSent(send(hash));
  }

  @Override
  public void publishRevoked(String hash, Instant revokedAt) {
    awaitSent(send("!revoked " + hash + " " + revokedAt.toEpochMilli()));
  }

  @Override
  public void importedKeysChanged() {
    send("!imported");
  }

  /**
   * Announces a brute-force block of {@code ip} for {@code kind} that starts now and lasts {@code
   * millis} ({@code !block} for API keys, {@code !adminblock} for admin tokens).
   */
  void publishBlock(CredentialKind kind, String ip, long millis) {
    send((kind == CredentialKind.ADMIN_TOKEN ? "!adminblock " : "!block ") + ip + " " + millis);
  }

  private void awaitSent(RedisFuture<Long> sent) {
    if (sent == null) {
      return;
    }
    try {
      sent.await(waitMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private RedisFuture<Long> send(String body) {
    try {
      RedisFuture<Long> f = redis.publish(channel, nodeId + " " + body);
      f.whenComplete(
          (n, e) -> {
            if (e != null && publishFailures.getAndIncrement() % 1000 == 0) {
              LOG.warn(
                  "could not publish to the other nodes ({}); they rely on their cache TTL",
                  e.toString());
            }
          });
      return f;
    } catch (RuntimeException e) {
      publishFailures.incrementAndGet();
      return null;
    }
  }

  @Override
  public void message(String ch, String message) {
    if (!channel.equals(ch)) {
      return;
    }
    int sp = message.indexOf(' ');
    if (sp <= 0 || message.regionMatches(0, nodeId, 0, sp) && sp == nodeId.length()) {
      return;
    }
    received.incrementAndGet();
    if (message.length() > sp + 1 && message.charAt(sp + 1) == '!') {
      typed(receiver, message.substring(sp + 2));
    } else {
      receiver.invalidateLocal(message.substring(sp + 1));
    }
  }

  private void typed(InvalidationBus.Receiver v, String body) {
    String[] f = body.split(" ");
    switch (f[0]) {
      case "revoked" -> {
        if (f.length == 3) {
          try {
            v.revokedLocal(f[1], Instant.ofEpochMilli(Long.parseLong(f[2])));
          } catch (NumberFormatException e) {
            v.invalidateLocal(f[1]);
          }
        }
      }
      case "imported" ->
          // a database read: not on the subscription's event loop
          CompletableFuture.runAsync(
              () -> {
                try {
                  v.refreshImported();
                } catch (RuntimeException e) {
                  LOG.warn("re-reading imported key prefixes failed, will retry: {}", e.toString());
                }
              });
      case "block", "adminblock" -> {
        RedisBruteForce b =
            bruteForce.get(
                f[0].equals("block") ? CredentialKind.API_KEY : CredentialKind.ADMIN_TOKEN);
        if (f.length == 3 && b != null) {
          try {
            b.blockedElsewhere(f[1], Long.parseLong(f[2]));
          } catch (NumberFormatException e) {
            // not from a Keygate node; ignore
          }
        }
      }
      default -> {
        // a message type of another version; nothing to do
      }
    }
  }

  /** After the subscription came back: anything published meanwhile was missed. */
  void resubscribed() {
    receiver.invalidateAll();
    LOG.info("Redis subscription restored; dropped the local key cache (missed invalidations)");
  }

  long received() {
    return received.get();
  }
}
