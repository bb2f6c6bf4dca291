package io.keygate.redis;

import io.keygate.core.verify.InvalidationBus;
import io.keygate.core.verify.Verifier;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cache invalidation over Redis pub/sub on channel {@code <prefix>invalidate}.
 *
 * <p>A message is {@code <node id> <stored hash>}; each node drops its own messages (it has already
 * invalidated locally) and calls {@link Verifier#invalidateLocal} for the others. Other news
 * travels on the same channel as {@code <node id> !<type> <args>} ({@code !} never starts a hash,
 * and a node that does not know the type would only drop a cache entry that cannot exist): {@code
 * !imported} (keys were imported: re-read the imported prefixes, off the subscription thread) and
 * {@code !block <ip> <ms>} (a brute-force block this long started). Publishing is asynchronous and
 * fire-and-forget: a change is never slowed or failed by Redis. Messages published while a node's
 * subscription is down are lost to that node, so on every re-connection the node drops its whole
 * cache ({@link #resubscribed}); the local cache TTL bounds staleness while it is disconnected.
 * Thread-safe.
 */
final class RedisInvalidationBus extends RedisPubSubAdapter<String, String>
    implements InvalidationBus {
  private static final Logger LOG = LoggerFactory.getLogger(RedisInvalidationBus.class);

  private final RedisAsyncCommands<String, String> redis;
  private final String channel;
  private final String nodeId = UUID.randomUUID().toString();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong publishFailures = new AtomicLong();
  private volatile Verifier verifier;
  private volatile RedisBruteForce bruteForce;

  RedisInvalidationBus(RedisAsyncCommands<String, String> redis, String prefix) {
    this.redis = redis;
    this.channel = prefix + "invalidate";
  }

  String channel() {
    return channel;
  }

  void attach(Verifier v) {
    this.verifier = v;
  }

  void attach(RedisBruteForce b) {
    this.bruteForce = b;
  }

  @Override
  public void publish(String hash) {
    send(hash);
  }

  @Override
  public void importedKeysChanged() {
    send("!imported");
  }

  /** Announces a brute-force block of {@code ip} that starts now and lasts {@code millis}. */
  void publishBlock(String ip, long millis) {
    send("!block " + ip + " " + millis);
  }

  private void send(String body) {
    try {
      redis
          .publish(channel, nodeId + " " + body)
          .whenComplete(
              (n, e) -> {
                if (e != null && publishFailures.getAndIncrement() % 1000 == 0) {
                  LOG.warn(
                      "could not publish a cache invalidation ({}); other nodes rely on their"
                          + " cache TTL",
                      e.toString());
                }
              });
    } catch (RuntimeException e) {
      publishFailures.incrementAndGet();
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
    Verifier v = verifier;
    if (v == null) {
      return;
    }
    received.incrementAndGet();
    if (message.length() > sp + 1 && message.charAt(sp + 1) == '!') {
      typed(v, message.substring(sp + 2));
    } else {
      v.invalidateLocal(message.substring(sp + 1));
    }
  }

  private void typed(Verifier v, String body) {
    if (body.equals("imported")) {
      // a database read: not on the subscription's event loop
      CompletableFuture.runAsync(
          () -> {
            try {
              v.legacyKeys().refresh();
            } catch (RuntimeException e) {
              LOG.warn("re-reading imported key prefixes failed, will retry: {}", e.toString());
            }
          });
    } else if (body.startsWith("block ")) {
      String[] f = body.split(" ");
      RedisBruteForce b = bruteForce;
      if (f.length == 3 && b != null) {
        try {
          b.blockedElsewhere(f[1], Long.parseLong(f[2]));
        } catch (NumberFormatException e) {
          // not from a Keygate node; ignore
        }
      }
    }
  }

  /** After the subscription came back: anything published meanwhile was missed. */
  void resubscribed() {
    Verifier v = verifier;
    if (v != null) {
      v.invalidateAll();
      LOG.info("Redis subscription restored; dropped the local key cache (missed invalidations)");
    }
  }

  long received() {
    return received.get();
  }
}
