package io.keygate.server.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.notify.Delivery;
import io.keygate.core.notify.DeliveryStatus;
import io.keygate.core.notify.EmailChannel;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.notify.Owner;
import io.keygate.core.notify.Webhook;
import io.keygate.server.json.KeygateJson;
import io.keygate.server.outbound.OutboundHttp;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers outbox events to their owners' channels: signed webhooks and, when SMTP is configured,
 * email.
 *
 * <p><b>Design.</b> Two steps, both safe on several nodes. Dispatch turns each new outbox event
 * into one delivery per channel its owner has (atomically with marking the event dispatched, so it
 * happens once); an email channel while no SMTP server is configured gets a delivery cancelled at
 * once with that reason. Delivery claims due deliveries under a lease, attempts each and stores the
 * outcome: 2xx marks it delivered; anything else (a 3xx too: redirects are not followed) schedules
 * a retry after an exponentially growing delay with jitter (half fixed, half random), until {@code
 * retryFor} after the delivery was created, when it is dead-lettered. A node dying mid-attempt
 * leaves the lease to expire and another node retries: delivery is at least once, and receivers
 * deduplicate by {@code Keygate-Event-Id} (the event id, the same on every attempt).
 *
 * <p><b>Isolation.</b> Attempts run on this worker's own bounded pool ({@code threads}), never on
 * the threads of the node's other jobs, and each is bounded by the outbound client's connect and
 * total timeouts. The store leases at most one delivery per owner at a time ({@link
 * NotifyStore#claim}), so an owner whose endpoint hangs occupies one thread, not the pool; among
 * owners with due deliveries the one this node served least recently goes first, so one owner's
 * backlog never starves another's. A finished attempt frees its thread for the next claim at once.
 *
 * <p>Time and randomness are injected. {@link #start} runs the worker in the background; {@link
 * #runOnce()} dispatches and attempts everything due and returns when done (tests call it). Thread
 * safe.
 */
public final class DeliveryWorker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DeliveryWorker.class);
  private static final ObjectMapper JSON = KeygateJson.MAPPER;
  private static final int DISPATCH_BATCH = 200;

  /** Owners with due deliveries considered per claim (the least recently served go first). */
  private static final int HEADS = 200;

  /** Reason of email deliveries made while no SMTP server is configured. */
  static final String NO_SMTP = "SMTP not configured (KEYGATE_SMTP_HOST): email channel inactive";

  /**
   * Settings of the worker.
   *
   * @param timeout bound of one webhook attempt (and of each SMTP operation); a delivery is leased
   *     for three times this plus 5 s, so that only a dead node's attempt is retried elsewhere
   * @param threads attempts in flight at once on this node
   */
  public record Settings(
      Duration timeout, Duration retryFor, Duration backoffBase, Duration backoffMax, int threads) {
    Duration lease() {
      return timeout.multipliedBy(3).plusSeconds(5);
    }
  }

  private final NotifyStore store;
  private final Owners owners;
  private final Mailer mailer;
  private final Clock clock;
  private final RandomGenerator jitter;
  private final Supplier<SecureRandom> ids;
  private final Settings settings;
  private final OutboundHttp http;
  private final ExecutorService pool;
  private final Semaphore free;
  private final Cache<String, Long> lastServed = Caffeine.newBuilder().maximumSize(100_000).build();
  private final AtomicLong served = new AtomicLong();
  private final AtomicBoolean pumpQueued = new AtomicBoolean();
  private ScheduledExecutorService loop;
  private final Counter webhookFailures;
  private final Counter emailFailures;
  private final Counter delivered;
  private final Counter deadLettered;

  /**
   * @param mailer sends email, or {@code null} when SMTP is not configured (email deliveries are
   *     then cancelled with that reason)
   * @param http the outbound client webhooks are posted with (its address policy applies)
   * @param jitter randomness for retry jitter (tests pass a seeded generator)
   */
  public DeliveryWorker(
      NotifyStore store,
      Owners owners,
      Mailer mailer,
      OutboundHttp http,
      Clock clock,
      RandomGenerator jitter,
      Supplier<SecureRandom> ids,
      Settings settings,
      MeterRegistry metrics) {
    this.store = store;
    this.owners = owners;
    this.mailer = mailer;
    this.clock = clock;
    this.jitter = jitter;
    this.ids = ids;
    this.settings = settings;
    this.http = http;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            settings.threads(),
            r -> {
              Thread t = new Thread(r, "keygate-delivery-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.free = new Semaphore(settings.threads());
    this.webhookFailures =
        counter(metrics, "keygate_webhook_failures", "Webhook delivery attempts that failed");
    this.emailFailures =
        counter(metrics, "keygate_email_failures", "Email delivery attempts that failed");
    this.delivered =
        counter(metrics, "keygate_deliveries_delivered", "Deliveries accepted by their channel");
    this.deadLettered =
        counter(
            metrics,
            "keygate_deliveries_dead",
            "Deliveries given up after the retry period (dead letters)");
  }

  private static Counter counter(MeterRegistry metrics, String name, String description) {
    return Counter.builder(name).description(description).register(metrics);
  }

  /**
   * Dispatches new events and attempts every due delivery on the pool, waiting for the attempts,
   * until nothing is due; returns attempts made. Not to be mixed with {@link #start} (tests call
   * this with the background worker idle).
   */
  public int runOnce() {
    dispatch();
    int attempts = 0;
    List<Delivery> batch;
    while (!(batch = claim(settings.threads())).isEmpty()) {
      List<Future<?>> running = new ArrayList<>();
      for (Delivery d : batch) {
        running.add(pool.submit(() -> attemptQuietly(d)));
      }
      for (Future<?> f : running) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw new IllegalStateException("delivery attempt failed", e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return attempts;
        }
      }
      attempts += batch.size();
    }
    return attempts;
  }

  /**
   * Runs the worker in the background: every {@code interval} it dispatches new events and fills
   * the pool's free threads with due deliveries, and a thread that finishes an attempt asks for the
   * next one at once.
   */
  public synchronized void start(Duration interval) {
    if (loop != null) {
      throw new IllegalStateException("the delivery worker is already running");
    }
    loop =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keygate-delivery");
              t.setDaemon(true);
              return t;
            });
    long every = interval.toMillis();
    loop.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    try {
      dispatch();
    } catch (RuntimeException e) {
      LOG.warn("outbox dispatch failed, will retry: {}", e.getMessage());
    }
    pump();
  }

  /** Claims due deliveries for the free threads and starts them (on the loop thread only). */
  private void pump() {
    pumpQueued.set(false);
    try {
      for (Delivery d : claim(free.availablePermits())) {
        free.acquireUninterruptibly(); // only this thread takes permits: never blocks
        pool.execute(
            () -> {
              try {
                attemptQuietly(d);
              } finally {
                free.release();
                wake();
              }
            });
      }
    } catch (RuntimeException e) {
      LOG.warn("claiming deliveries failed, will retry: {}", e.getMessage());
    }
  }

  /** Asks the loop for another claim round, unless one is already queued. */
  private void wake() {
    ScheduledExecutorService l = loop;
    if (l != null && pumpQueued.compareAndSet(false, true)) {
      try {
        l.execute(this::pump);
      } catch (RejectedExecutionException closed) {
        pumpQueued.set(false);
      }
    }
  }

  /**
   * Leases up to {@code n} due deliveries, at most one per owner, owners this node served least
   * recently first (then the oldest due).
   */
  private synchronized List<Delivery> claim(int n) {
    if (n <= 0) {
      return List.of();
    }
    Instant now = now();
    List<Delivery> heads = new ArrayList<>(store.dueHeads(now, HEADS));
    heads.sort(
        Comparator.comparingLong(
            d -> Optional.ofNullable(lastServed.getIfPresent(d.ownerId())).orElse(-1L)));
    Instant leaseUntil = now.plus(settings.lease());
    List<Delivery> out = new ArrayList<>();
    for (Delivery head : heads) {
      if (out.size() == n) {
        break;
      }
      store
          .claim(head, now, leaseUntil)
          .ifPresent(
              d -> {
                out.add(d);
                lastServed.put(d.ownerId(), served.incrementAndGet());
              });
    }
    return out;
  }

  private void attemptQuietly(Delivery d) {
    try {
      attempt(d, owners.find(d.ownerId()));
    } catch (RuntimeException e) {
      LOG.warn(
          "delivery {} failed before its outcome was stored (retried when its lease ends): {}",
          d.deliveryId(),
          e.getMessage());
    }
  }

  /**
   * Stops the worker: attempts in flight are interrupted (recorded as failed, or retried when their
   * leases end) and waited for briefly, so that none touches the store after the node closes it.
   */
  @Override
  public synchronized void close() {
    if (loop != null) {
      loop.shutdownNow();
    }
    pool.shutdownNow();
    try {
      if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.warn("delivery attempts still running after 5 s; their leases will end");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  /** Creates deliveries for events not dispatched yet; returns how many events it dispatched. */
  public int dispatch() {
    int n = 0;
    List<OutboxEvent> events;
    do {
      events = store.undispatched(DISPATCH_BATCH);
      Map<String, Optional<Owner>> cache = new HashMap<>();
      for (OutboxEvent e : events) {
        Instant now = now();
        List<Delivery> ds = new ArrayList<>();
        Optional<Owner> owner =
            e.ownerId() == null
                ? Optional.empty()
                : cache.computeIfAbsent(e.ownerId(), owners::find);
        if (owner.isPresent()) {
          for (Webhook w : owner.get().webhooks()) {
            ds.add(
                Delivery.pending(
                    id(), e.eventId(), e.ownerId(), w.channelId(), Delivery.WEBHOOK, now));
          }
          for (EmailChannel m : owner.get().emails()) {
            Delivery d =
                Delivery.pending(
                    id(), e.eventId(), e.ownerId(), m.channelId(), Delivery.EMAIL, now);
            ds.add(mailer == null ? d.cancelled(NO_SMTP, now) : d);
          }
        }
        if (store.dispatch(e.eventId(), ds, now)) {
          n++;
        }
      }
    } while (events.size() == DISPATCH_BATCH);
    return n;
  }

  private String id() {
    return "dlv_" + KeyFormat.randomBase62(ids.get(), 24);
  }

  private void attempt(Delivery d, Optional<Owner> owner) {
    Optional<OutboxEvent> event = store.event(d.eventId());
    if (owner.isEmpty() || event.isEmpty()) {
      store.finish(d.cancelled(owner.isEmpty() ? "owner removed" : "event missing", now()));
      return;
    }
    Result r;
    if (Delivery.WEBHOOK.equals(d.channelKind())) {
      Optional<Webhook> w = owner.get().webhook(d.channelId());
      if (w.isEmpty()) {
        store.finish(d.cancelled("webhook removed from the owner", now()));
        return;
      }
      r = postWebhook(w.get(), event.get());
      if (!r.ok()) {
        webhookFailures.increment();
      }
    } else {
      Optional<EmailChannel> m = owner.get().email(d.channelId());
      if (m.isEmpty() || mailer == null) {
        store.finish(
            d.cancelled(m.isEmpty() ? "email address removed from the owner" : NO_SMTP, now()));
        return;
      }
      r = sendEmail(m.get(), event.get());
      if (!r.ok()) {
        emailFailures.increment();
      }
    }
    Instant now = now();
    Delivery next;
    if (r.ok()) {
      next = d.attempted(DeliveryStatus.DELIVERED, null, null, r.status(), now);
      delivered.increment();
    } else {
      Instant giveUpAt = d.createdAt().plus(settings.retryFor());
      if (!now.isBefore(giveUpAt)) {
        next = d.attempted(DeliveryStatus.DEAD, null, r.error(), r.status(), now);
        deadLettered.increment();
        LOG.warn(
            "delivery {} of event {} to {} dead-lettered after {} attempts: {}",
            d.deliveryId(),
            d.eventId(),
            d.channelKind(),
            d.attempts() + 1,
            r.error());
      } else {
        Instant at = now.plus(backoff(d.attempts() + 1));
        if (at.isAfter(giveUpAt)) {
          at = giveUpAt;
        }
        next = d.attempted(DeliveryStatus.PENDING, at, r.error(), r.status(), now);
      }
    }
    if (!store.finish(next)) {
      LOG.info("lost the lease on delivery {}; another node has it", d.deliveryId());
    }
  }

  /** The delay before attempt {@code attempt + 1}: base·2^(attempt-1), capped, half jittered. */
  Duration backoff(int attempt) {
    long base = settings.backoffBase().toMillis();
    long max = settings.backoffMax().toMillis();
    long delay = attempt >= 31 ? max : Math.min(max, base << Math.max(0, attempt - 1));
    long half = delay / 2;
    return Duration.ofMillis(half + (half > 0 ? jitter.nextLong(half + 1) : 0));
  }

  private record Result(boolean ok, Integer status, String error) {}

  /** The JSON body of an event, as POSTed and mailed. */
  static byte[] body(OutboxEvent e) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", e.eventId());
    n.put("type", e.type());
    n.put("created_at", e.createdAt().toString());
    n.put("owner_id", e.ownerId());
    n.put("key_id", e.keyId());
    n.set("data", JSON.valueToTree(e.data()));
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException ex) {
      throw new IllegalStateException("cannot serialise event " + e.eventId(), ex);
    }
  }

  private Result postWebhook(Webhook w, OutboxEvent e) {
    byte[] body = body(e);
    long t = clock.instant().getEpochSecond();
    URI url;
    try {
      url = URI.create(w.url());
    } catch (IllegalArgumentException ex) {
      return new Result(false, null, "invalid webhook URL");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    headers.put("User-Agent", "Keygate-Webhooks/1");
    headers.put(WebhookSignature.HEADER, WebhookSignature.sign(w.secret(), t, body));
    headers.put("Keygate-Event-Id", e.eventId());
    headers.put("Keygate-Event-Type", e.type());
    try {
      int s = http.post(url, headers, body, settings.timeout());
      if (s >= 200 && s < 300) {
        return new Result(true, s, null);
      }
      String note = s >= 300 && s < 400 ? " (redirects are not followed)" : "";
      return new Result(false, s, "HTTP " + s + note);
    } catch (OutboundHttp.AddressRefused ex) {
      return new Result(false, null, ex.getMessage());
    } catch (IOException ex) {
      return new Result(false, null, ex.getClass().getSimpleName() + ": " + ex.getMessage());
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return new Result(false, null, "interrupted");
    }
  }

  private Result sendEmail(EmailChannel m, OutboxEvent e) {
    String subject = "[Keygate] " + e.type() + (e.keyId() == null ? "" : " for key " + e.keyId());
    String text =
        "Keygate event "
            + e.type()
            + " at "
            + e.createdAt()
            + "\n\n"
            + new String(body(e), StandardCharsets.UTF_8)
            + "\n\nEvent id: "
            + e.eventId()
            + "\n";
    try {
      mailer.send(m.address(), subject, text);
      return new Result(true, null, null);
    } catch (Mailer.MailException ex) {
      return new Result(false, null, ex.getMessage());
    }
  }
}
