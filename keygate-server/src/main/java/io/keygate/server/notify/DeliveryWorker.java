package io.keygate.server.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.notify.Delivery;
import io.keygate.core.notify.DeliveryStatus;
import io.keygate.core.notify.EmailChannel;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.notify.Owner;
import io.keygate.core.notify.Webhook;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers outbox events to their owners' channels: signed webhooks and, when SMTP is configured,
 * email.
 *
 * <p><b>Design.</b> Two steps per run, both safe on several nodes. Dispatch turns each new outbox
 * event into one delivery per channel its owner has (atomically with marking the event dispatched,
 * so it happens once). Delivery claims due deliveries under a lease, attempts each and stores the
 * outcome: 2xx marks it delivered; anything else schedules a retry after an exponentially growing
 * delay with jitter (half fixed, half random), until {@code retryFor} after the delivery was
 * created, when it is dead-lettered. A node dying mid-attempt leaves the lease to expire and
 * another node retries: delivery is at least once, and receivers deduplicate by {@code
 * Keygate-Event-Id} (the event id, the same on every attempt).
 *
 * <p>Time and randomness are injected; {@link #runOnce()} is what the scheduler calls and what
 * tests call directly. Thread-safe, but meant to be run by one thread per node.
 */
public final class DeliveryWorker {
  private static final Logger LOG = LoggerFactory.getLogger(DeliveryWorker.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int DISPATCH_BATCH = 200;
  private static final int DELIVERY_BATCH = 20;

  /** Settings of the worker. */
  public record Settings(
      Duration timeout, Duration retryFor, Duration backoffBase, Duration backoffMax) {}

  private final NotifyStore store;
  private final Owners owners;
  private final Mailer mailer;
  private final Clock clock;
  private final RandomGenerator jitter;
  private final Supplier<SecureRandom> ids;
  private final Settings settings;
  private final HttpClient http;
  private final Counter webhookFailures;
  private final Counter emailFailures;
  private final Counter delivered;
  private final Counter deadLettered;

  /**
   * @param mailer sends email, or {@code null} when SMTP is not configured (email deliveries then
   *     fail with "SMTP not configured" and are retried)
   * @param jitter randomness for retry jitter (tests pass a seeded generator)
   */
  public DeliveryWorker(
      NotifyStore store,
      Owners owners,
      Mailer mailer,
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
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(settings.timeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.webhookFailures =
        Counter.builder("keygate_webhook_failures")
            .description("Webhook delivery attempts that failed")
            .register(metrics);
    this.emailFailures =
        Counter.builder("keygate_email_failures")
            .description("Email delivery attempts that failed")
            .register(metrics);
    this.delivered =
        Counter.builder("keygate_deliveries_delivered")
            .description("Deliveries accepted by their channel")
            .register(metrics);
    this.deadLettered =
        Counter.builder("keygate_deliveries_dead")
            .description("Deliveries given up after the retry period (dead letters)")
            .register(metrics);
  }

  /** Dispatches new events and attempts every due delivery; returns attempts made. */
  public int runOnce() {
    dispatch();
    int attempts = 0;
    List<Delivery> batch;
    do {
      Instant now = now();
      Duration lease = settings.timeout().multipliedBy(DELIVERY_BATCH + 1);
      batch = store.claimDue(now, now.plus(lease), DELIVERY_BATCH);
      Map<String, Optional<Owner>> cache = new HashMap<>();
      for (Delivery d : batch) {
        attempt(d, cache.computeIfAbsent(d.ownerId(), owners::find));
        attempts++;
      }
    } while (batch.size() == DELIVERY_BATCH);
    return attempts;
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
            ds.add(
                Delivery.pending(
                    id(), e.eventId(), e.ownerId(), m.channelId(), Delivery.EMAIL, now));
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
      if (m.isEmpty()) {
        store.finish(d.cancelled("email address removed from the owner", now()));
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
    HttpRequest req;
    try {
      req =
          HttpRequest.newBuilder(URI.create(w.url()))
              .timeout(settings.timeout())
              .header("Content-Type", "application/json")
              .header("User-Agent", "Keygate-Webhooks/1")
              .header(WebhookSignature.HEADER, WebhookSignature.sign(w.secret(), t, body))
              .header("Keygate-Event-Id", e.eventId())
              .header("Keygate-Event-Type", e.type())
              .POST(HttpRequest.BodyPublishers.ofByteArray(body))
              .build();
    } catch (IllegalArgumentException ex) {
      return new Result(false, null, "invalid webhook URL");
    }
    try {
      HttpResponse<Void> resp = http.send(req, HttpResponse.BodyHandlers.discarding());
      int s = resp.statusCode();
      return s >= 200 && s < 300 ? new Result(true, s, null) : new Result(false, s, "HTTP " + s);
    } catch (IOException ex) {
      return new Result(false, null, ex.getClass().getSimpleName() + ": " + ex.getMessage());
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return new Result(false, null, "interrupted");
    }
  }

  private Result sendEmail(EmailChannel m, OutboxEvent e) {
    if (mailer == null) {
      return new Result(false, null, "SMTP not configured (KEYGATE_SMTP_HOST)");
    }
    String subject = "[Keygate] " + e.type() + (e.keyId() == null ? "" : " for key " + e.keyId());
    String text =
        "Keygate event "
            + e.type()
            + " at "
            + e.createdAt()
            + "\n\n"
            + new String(body(e), java.nio.charset.StandardCharsets.UTF_8)
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
