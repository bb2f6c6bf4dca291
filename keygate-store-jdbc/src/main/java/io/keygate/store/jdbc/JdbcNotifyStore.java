package io.keygate.store.jdbc;

import io.keygate.core.audit.AuditEntry;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.Page;
import io.keygate.core.notify.Delivery;
import io.keygate.core.notify.DeliveryStatus;
import io.keygate.core.notify.EventDeliveries;
import io.keygate.core.notify.EventQuery;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.notify.StoredOwner;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * {@link NotifyStore} over the same pool and schema as {@link JdbcKeyStore} (tables of {@code
 * V4__owners_and_delivery.sql}): the outbox and deliveries here, owners in {@link JdbcOwners},
 * expiry notices in {@link JdbcExpiryNotices}.
 *
 * <p>Design note: delivery is fair between owners. {@link #dueHeads} reads, without locking, the
 * oldest due delivery of each owner that has nothing in flight (a window function ranks each
 * owner's due rows); {@link #claim} then leases one of them with a compare-and-set {@code UPDATE}
 * that also re-checks that its owner has no other delivery leased. On SQLite the update runs under
 * the database's single write lock; on PostgreSQL claims for one owner first take a
 * transaction-scoped advisory lock on the owner, so two nodes never both lease one owner's
 * deliveries. A finished attempt is written only where the token still matches. Thread-safe.
 */
final class JdbcNotifyStore implements NotifyStore {
  private static final String DELIVERY_COLUMNS =
      "delivery_id, event_id, owner_id, channel_id, channel_kind, status, attempts,"
          + " next_attempt_at, last_error, last_status, created_at, updated_at, delivered_at,"
          + " lease_token";
  private static final Cursors.Order NEWEST_FIRST = new Cursors.Order("created_at", "event_id");

  private static final RowMapper<Delivery> DELIVERY =
      (rs, ctx) -> {
        int lastStatus = rs.getInt("last_status");
        Integer ls = rs.wasNull() ? null : lastStatus;
        return new Delivery(
            rs.getString("delivery_id"),
            rs.getString("event_id"),
            rs.getString("owner_id"),
            rs.getString("channel_id"),
            rs.getString("channel_kind"),
            DeliveryStatus.fromWire(rs.getString("status")),
            rs.getInt("attempts"),
            Rows.instant(rs, "next_attempt_at"),
            rs.getString("last_error"),
            ls,
            Rows.instant(rs, "created_at"),
            Rows.instant(rs, "updated_at"),
            Rows.instant(rs, "delivered_at"),
            rs.getString("lease_token"));
      };

  /** An event as listed, with when it was dispatched (null: not yet). */
  private record Listed(OutboxEvent event, Instant dispatchedAt) {}

  private static final RowMapper<Listed> LISTED =
      (rs, ctx) -> new Listed(Rows.readEvent(rs), Rows.instant(rs, "dispatched_at"));

  private final JdbcKeyStore store;
  private final SecureRandom random = new SecureRandom();

  private final JdbcOwners owners;
  private final JdbcExpiryNotices expiry;

  JdbcNotifyStore(JdbcKeyStore store) {
    this.store = store;
    this.owners = new JdbcOwners(store);
    this.expiry = new JdbcExpiryNotices(store);
  }

  @Override
  public Optional<StoredOwner> findOwner(String ownerId) {
    return owners.find(ownerId);
  }

  @Override
  public void insertOwner(StoredOwner o, AuditEntry audit) {
    owners.insert(o, audit);
  }

  @Override
  public void updateOwner(StoredOwner o, AuditEntry audit) {
    owners.update(o, audit);
  }

  @Override
  public List<StoredOwner> owners(String afterOwnerId, int limit) {
    return owners.page(afterOwnerId, limit);
  }

  @Override
  public boolean replaceSealedChannels(String ownerId, String expected, String replacement) {
    return owners.replaceSealedChannels(ownerId, expected, replacement);
  }

  @Override
  public List<OutboxEvent> undispatched(int limit) {
    return store.query(
        "undispatched",
        h ->
            h.createQuery(
                    "SELECT "
                        + Rows.EVENT_COLUMNS
                        + " FROM outbox_events WHERE dispatched_at IS NULL"
                        + " ORDER BY created_at, event_id LIMIT :limit")
                .bind("limit", limit)
                .map(Rows.EVENT)
                .list());
  }

  @Override
  public boolean dispatch(String eventId, List<Delivery> deliveries, Instant at) {
    return store.update(
        "dispatch",
        h -> {
          int marked =
              h.createUpdate(
                      "UPDATE outbox_events SET dispatched_at = :at"
                          + " WHERE event_id = :id AND dispatched_at IS NULL")
                  .bind("at", at.toEpochMilli())
                  .bind("id", eventId)
                  .execute();
          if (marked == 0) {
            return false;
          }
          if (!deliveries.isEmpty()) {
            PreparedBatch batch = h.prepareBatch(Rows.insert("deliveries", DELIVERY_COLUMNS));
            for (Delivery d : deliveries) {
              batch
                  .bind("delivery_id", d.deliveryId())
                  .bind("event_id", d.eventId())
                  .bind("owner_id", d.ownerId())
                  .bind("channel_id", d.channelId())
                  .bind("channel_kind", d.channelKind())
                  .bind("status", d.status().wire())
                  .bind("attempts", d.attempts())
                  .bind("next_attempt_at", Rows.millis(d.nextAttemptAt()))
                  .bind("last_error", d.lastError())
                  .bind("last_status", d.lastStatus())
                  .bind("created_at", Rows.millis(d.createdAt()))
                  .bind("updated_at", Rows.millis(d.updatedAt()))
                  .bind("delivered_at", Rows.millis(d.deliveredAt()))
                  .bind("lease_token", d.leaseToken())
                  .add();
            }
            batch.execute();
          }
          return true;
        });
  }

  @Override
  public List<Delivery> dueHeads(Instant now, int limit) {
    return store.query(
        "dueHeads",
        h ->
            h.createQuery(
                    "SELECT "
                        + DELIVERY_COLUMNS
                        + " FROM (SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.owner_id"
                        + " ORDER BY d.next_attempt_at, d.delivery_id) AS owner_rank"
                        + " FROM deliveries d WHERE d.status = 'pending'"
                        + " AND d.next_attempt_at <= :now"
                        + " AND (d.leased_until IS NULL OR d.leased_until <= :now)"
                        + " AND NOT EXISTS (SELECT 1 FROM deliveries b"
                        + " WHERE b.owner_id = d.owner_id"
                        + " AND b.status = 'pending' AND b.leased_until > :now)) heads"
                        + " WHERE owner_rank = 1 ORDER BY next_attempt_at, delivery_id"
                        + " LIMIT :limit")
                .bind("now", now.toEpochMilli())
                .bind("limit", limit)
                .map(DELIVERY)
                .list());
  }

  @Override
  public Optional<Delivery> claim(Delivery head, Instant now, Instant leaseUntil) {
    String token =
        "lease_" + Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
    return store.update(
        "claimDelivery",
        h -> {
          if (store.dialect() == Dialect.POSTGRESQL) {
            // Claims for one owner queue here, so each sees the lease the one before committed.
            h.createQuery("SELECT pg_advisory_xact_lock(:key)")
                .bind("key", ownerLockKey(head.ownerId()))
                .map((rs, ctx) -> Boolean.TRUE)
                .one();
          }
          int leased =
              h.createUpdate(
                      "UPDATE deliveries SET lease_token = :token, leased_until = :until"
                          + " WHERE delivery_id = :id AND status = 'pending'"
                          + " AND next_attempt_at <= :now"
                          + " AND (leased_until IS NULL OR leased_until <= :now)"
                          + " AND NOT EXISTS (SELECT 1 FROM deliveries b"
                          + " WHERE b.owner_id = deliveries.owner_id AND b.status = 'pending'"
                          + " AND b.leased_until > :now)")
                  .bind("token", token)
                  .bind("until", leaseUntil.toEpochMilli())
                  .bind("id", head.deliveryId())
                  .bind("now", now.toEpochMilli())
                  .execute();
          if (leased == 0) {
            return Optional.<Delivery>empty();
          }
          return h.createQuery(
                  "SELECT " + DELIVERY_COLUMNS + " FROM deliveries WHERE lease_token = :token")
              .bind("token", token)
              .map(DELIVERY)
              .findOne();
        });
  }

  /** The advisory-lock key of an owner's deliveries: 64 bits of SHA-256 over a fixed prefix. */
  private static long ownerLockKey(String ownerId) {
    try {
      byte[] h =
          MessageDigest.getInstance("SHA-256")
              .digest(("keygate:deliveries:" + ownerId).getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(h).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  @Override
  public boolean finish(Delivery d) {
    Objects.requireNonNull(d.leaseToken(), "leaseToken");
    return store.update(
            "finishDelivery",
            h ->
                h.createUpdate(
                        "UPDATE deliveries SET status = :status, attempts = :attempts,"
                            + " next_attempt_at = :next, last_error = :error,"
                            + " last_status = :last_status, updated_at = :updated,"
                            + " delivered_at = :delivered, lease_token = NULL, leased_until = NULL"
                            + " WHERE delivery_id = :id AND lease_token = :token")
                    .bind("status", d.status().wire())
                    .bind("attempts", d.attempts())
                    .bind("next", Rows.millis(d.nextAttemptAt()))
                    .bind("error", truncate(d.lastError()))
                    .bind("last_status", d.lastStatus())
                    .bind("updated", Rows.millis(d.updatedAt()))
                    .bind("delivered", Rows.millis(d.deliveredAt()))
                    .bind("id", d.deliveryId())
                    .bind("token", d.leaseToken())
                    .execute())
        == 1;
  }

  private static String truncate(String s) {
    return s == null || s.length() <= 500 ? s : s.substring(0, 500) + "…";
  }

  @Override
  public Optional<OutboxEvent> event(String eventId) {
    return store.query(
        "event",
        h ->
            h.createQuery(
                    "SELECT " + Rows.EVENT_COLUMNS + " FROM outbox_events WHERE event_id = :id")
                .bind("id", eventId)
                .map(Rows.EVENT)
                .findOne());
  }

  @Override
  public Page<EventDeliveries> events(EventQuery q) {
    Select select =
        new Select(
                "SELECT " + Rows.EVENT_COLUMNS + ", dispatched_at FROM outbox_events WHERE 1 = 1")
            .eq("owner_id", q.ownerId())
            .eq("key_id", q.keyId())
            .eq("type", q.type());
    return store.query(
        "events",
        h -> {
          Page<Listed> page =
              Cursors.page(
                  h,
                  select,
                  NEWEST_FIRST,
                  q.cursor(),
                  q.limit(),
                  LISTED,
                  l ->
                      new Cursors.Position(
                          l.event().createdAt().toEpochMilli(), l.event().eventId()));
          Map<String, List<Delivery>> byEvent = deliveriesOf(h, page.items());
          return new Page<>(
              page.items().stream()
                  .map(
                      l ->
                          new EventDeliveries(
                              l.event(),
                              l.dispatchedAt(),
                              byEvent.getOrDefault(l.event().eventId(), List.of())))
                  .toList(),
              page.nextCursor());
        });
  }

  private static Map<String, List<Delivery>> deliveriesOf(Handle h, List<Listed> events) {
    if (events.isEmpty()) {
      return Map.of();
    }
    return h.createQuery(
            "SELECT "
                + DELIVERY_COLUMNS
                + " FROM deliveries WHERE event_id IN (<ids>) ORDER BY created_at, delivery_id")
        .bindList("ids", events.stream().map(l -> l.event().eventId()).toList())
        .map(DELIVERY)
        .collect(Collectors.groupingBy(Delivery::eventId));
  }

  @Override
  public long backlog() {
    return store.query(
        "backlog",
        h ->
            h.createQuery(
                    "SELECT (SELECT COUNT(*) FROM outbox_events WHERE dispatched_at IS NULL)"
                        + " + (SELECT COUNT(*) FROM deliveries WHERE status = 'pending')")
                .mapTo(long.class)
                .one());
  }

  @Override
  public List<ApiKeyRecord> expiringWithoutNotice(int days, Instant now, int limit) {
    return expiry.expiringWithoutNotice(days, now, limit);
  }

  @Override
  public List<ApiKeyRecord> expiredWithoutNotice(Instant now, int limit) {
    return expiry.expiredWithoutNotice(now, limit);
  }

  @Override
  public boolean recordExpiryNotice(
      String keyId, int days, List<Integer> suppressed, OutboxEvent event, Instant at) {
    return expiry.record(keyId, days, suppressed, event, at);
  }
}
