package io.keygate.store.jdbc;

import io.keygate.core.KeygateException;
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
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link NotifyStore} over the same pool and schema as {@link JdbcKeyStore} (tables of {@code
 * V4__owners_and_delivery.sql}).
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

  private final JdbcKeyStore store;
  private final SecureRandom random = new SecureRandom();

  JdbcNotifyStore(JdbcKeyStore store) {
    this.store = store;
  }

  @Override
  public Optional<StoredOwner> findOwner(String ownerId) {
    Objects.requireNonNull(ownerId, "ownerId");
    return store.read(
        "findOwner",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT owner_id, name, channels, created_at, updated_at FROM owners"
                      + " WHERE owner_id = ?")) {
            ps.setString(1, ownerId);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              return Optional.of(
                  new StoredOwner(
                      rs.getString(1),
                      rs.getString(2),
                      rs.getString(3),
                      Instant.ofEpochMilli(rs.getLong(4)),
                      Instant.ofEpochMilli(rs.getLong(5))));
            }
          }
        });
  }

  @Override
  public void insertOwner(StoredOwner o, AuditEntry audit) {
    Objects.requireNonNull(o, "owner");
    Objects.requireNonNull(audit, "audit");
    store.transact(
        tx -> {
          tx.run(
              "insertOwner",
              c -> {
                try (PreparedStatement ps =
                    c.prepareStatement("SELECT 1 FROM owners WHERE owner_id = ?")) {
                  ps.setString(1, o.ownerId());
                  try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                      throw new KeygateException.Conflict(
                          "owner " + o.ownerId() + " already exists");
                    }
                  }
                }
                try (PreparedStatement ps =
                    c.prepareStatement(
                        "INSERT INTO owners (owner_id, name, channels, created_at, updated_at)"
                            + " VALUES (?, ?, ?, ?, ?)")) {
                  ps.setString(1, o.ownerId());
                  ps.setString(2, o.name());
                  ps.setString(3, o.sealedChannels());
                  ps.setLong(4, o.createdAt().toEpochMilli());
                  ps.setLong(5, o.updatedAt().toEpochMilli());
                  ps.executeUpdate();
                }
                return null;
              });
          tx.appendAudit(audit);
          return null;
        });
  }

  @Override
  public void updateOwner(StoredOwner o, AuditEntry audit) {
    Objects.requireNonNull(o, "owner");
    Objects.requireNonNull(audit, "audit");
    store.transact(
        tx -> {
          int n =
              tx.run(
                  "updateOwner",
                  c -> {
                    try (PreparedStatement ps =
                        c.prepareStatement(
                            "UPDATE owners SET name = ?, channels = ?, updated_at = ? WHERE"
                                + " owner_id = ?")) {
                      ps.setString(1, o.name());
                      ps.setString(2, o.sealedChannels());
                      ps.setLong(3, o.updatedAt().toEpochMilli());
                      ps.setString(4, o.ownerId());
                      return ps.executeUpdate();
                    }
                  });
          if (n == 0) {
            throw new KeygateException.NotFound("no owner with id " + o.ownerId());
          }
          tx.appendAudit(audit);
          return null;
        });
  }

  @Override
  public List<StoredOwner> owners(String afterOwnerId, int limit) {
    return store.read(
        "owners",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT owner_id, name, channels, created_at, updated_at FROM owners"
                      + " WHERE owner_id > ? ORDER BY owner_id LIMIT ?")) {
            ps.setString(1, afterOwnerId == null ? "" : afterOwnerId);
            ps.setInt(2, limit);
            List<StoredOwner> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new StoredOwner(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        Instant.ofEpochMilli(rs.getLong(4)),
                        Instant.ofEpochMilli(rs.getLong(5))));
              }
            }
            return out;
          }
        });
  }

  @Override
  public boolean replaceSealedChannels(String ownerId, String expected, String replacement) {
    return store.write(
            "replaceSealedChannels",
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE owners SET channels = ? WHERE owner_id = ? AND channels = ?")) {
                ps.setString(1, replacement);
                ps.setString(2, ownerId);
                ps.setString(3, expected);
                return ps.executeUpdate();
              }
            })
        == 1;
  }

  @Override
  public List<OutboxEvent> undispatched(int limit) {
    return store.read(
        "undispatched",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + Rows.EVENT_COLUMNS
                      + " FROM outbox_events WHERE dispatched_at IS NULL"
                      + " ORDER BY created_at, event_id LIMIT ?")) {
            ps.setInt(1, limit);
            return readEvents(ps);
          }
        });
  }

  private static List<OutboxEvent> readEvents(PreparedStatement ps) throws SQLException {
    List<OutboxEvent> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(Rows.readEvent(rs));
      }
    }
    return out;
  }

  @Override
  public boolean dispatch(String eventId, List<Delivery> deliveries, Instant at) {
    return store.write(
        "dispatch",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE outbox_events SET dispatched_at = ?"
                      + " WHERE event_id = ? AND dispatched_at IS NULL")) {
            ps.setLong(1, at.toEpochMilli());
            ps.setString(2, eventId);
            if (ps.executeUpdate() == 0) {
              return false;
            }
          }
          if (!deliveries.isEmpty()) {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO deliveries ("
                        + DELIVERY_COLUMNS
                        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
              for (Delivery d : deliveries) {
                bindDelivery(ps, d);
                ps.addBatch();
              }
              ps.executeBatch();
            }
          }
          return true;
        });
  }

  private static void bindDelivery(PreparedStatement ps, Delivery d) throws SQLException {
    ps.setString(1, d.deliveryId());
    ps.setString(2, d.eventId());
    ps.setString(3, d.ownerId());
    ps.setString(4, d.channelId());
    ps.setString(5, d.channelKind());
    ps.setString(6, d.status().wire());
    ps.setInt(7, d.attempts());
    Rows.setMillis(ps, 8, d.nextAttemptAt());
    ps.setString(9, d.lastError());
    if (d.lastStatus() == null) {
      ps.setNull(10, Types.INTEGER);
    } else {
      ps.setInt(10, d.lastStatus());
    }
    Rows.setMillis(ps, 11, d.createdAt());
    Rows.setMillis(ps, 12, d.updatedAt());
    Rows.setMillis(ps, 13, d.deliveredAt());
    ps.setString(14, d.leaseToken());
  }

  private static Delivery readDelivery(ResultSet rs) throws SQLException {
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
        millis(rs, "next_attempt_at"),
        rs.getString("last_error"),
        ls,
        millis(rs, "created_at"),
        millis(rs, "updated_at"),
        millis(rs, "delivered_at"),
        rs.getString("lease_token"));
  }

  private static Instant millis(ResultSet rs, String column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }

  @Override
  public List<Delivery> dueHeads(Instant now, int limit) {
    return store.read(
        "dueHeads",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + DELIVERY_COLUMNS
                      + " FROM (SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.owner_id"
                      + " ORDER BY d.next_attempt_at, d.delivery_id) AS owner_rank"
                      + " FROM deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= ?"
                      + " AND (d.leased_until IS NULL OR d.leased_until <= ?)"
                      + " AND NOT EXISTS (SELECT 1 FROM deliveries b WHERE b.owner_id = d.owner_id"
                      + " AND b.status = 'pending' AND b.leased_until > ?)) heads"
                      + " WHERE owner_rank = 1 ORDER BY next_attempt_at, delivery_id LIMIT ?")) {
            ps.setLong(1, now.toEpochMilli());
            ps.setLong(2, now.toEpochMilli());
            ps.setLong(3, now.toEpochMilli());
            ps.setInt(4, limit);
            List<Delivery> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(readDelivery(rs));
              }
            }
            return out;
          }
        });
  }

  @Override
  public Optional<Delivery> claim(Delivery head, Instant now, Instant leaseUntil) {
    String token =
        "lease_" + Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
    return store.write(
        "claimDelivery",
        c -> {
          if (store.dialect() == Dialect.POSTGRESQL) {
            // Claims for one owner queue here, so each sees the lease the one before committed.
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
              ps.setLong(1, ownerLockKey(head.ownerId()));
              ps.execute();
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE deliveries SET lease_token = ?, leased_until = ?"
                      + " WHERE delivery_id = ? AND status = 'pending' AND next_attempt_at <= ?"
                      + " AND (leased_until IS NULL OR leased_until <= ?)"
                      + " AND NOT EXISTS (SELECT 1 FROM deliveries b"
                      + " WHERE b.owner_id = deliveries.owner_id AND b.status = 'pending'"
                      + " AND b.leased_until > ?)")) {
            ps.setString(1, token);
            ps.setLong(2, leaseUntil.toEpochMilli());
            ps.setString(3, head.deliveryId());
            ps.setLong(4, now.toEpochMilli());
            ps.setLong(5, now.toEpochMilli());
            ps.setLong(6, now.toEpochMilli());
            if (ps.executeUpdate() == 0) {
              return Optional.<Delivery>empty();
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + DELIVERY_COLUMNS + " FROM deliveries WHERE lease_token = ?")) {
            ps.setString(1, token);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(readDelivery(rs)) : Optional.<Delivery>empty();
            }
          }
        });
  }

  /** The advisory-lock key of an owner's deliveries: 64 bits of SHA-256 over a fixed prefix. */
  private static long ownerLockKey(String ownerId) {
    try {
      byte[] h =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(
                  ("keygate:deliveries:" + ownerId)
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.nio.ByteBuffer.wrap(h).getLong();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  @Override
  public boolean finish(Delivery d) {
    Objects.requireNonNull(d.leaseToken(), "leaseToken");
    return store.write(
            "finishDelivery",
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,"
                          + " last_error = ?, last_status = ?, updated_at = ?, delivered_at = ?,"
                          + " lease_token = NULL, leased_until = NULL"
                          + " WHERE delivery_id = ? AND lease_token = ?")) {
                ps.setString(1, d.status().wire());
                ps.setInt(2, d.attempts());
                Rows.setMillis(ps, 3, d.nextAttemptAt());
                ps.setString(4, truncate(d.lastError()));
                if (d.lastStatus() == null) {
                  ps.setNull(5, Types.INTEGER);
                } else {
                  ps.setInt(5, d.lastStatus());
                }
                Rows.setMillis(ps, 6, d.updatedAt());
                Rows.setMillis(ps, 7, d.deliveredAt());
                ps.setString(8, d.deliveryId());
                ps.setString(9, d.leaseToken());
                return ps.executeUpdate();
              }
            })
        == 1;
  }

  private static String truncate(String s) {
    return s == null || s.length() <= 500 ? s : s.substring(0, 500) + "…";
  }

  @Override
  public Optional<OutboxEvent> event(String eventId) {
    return store.read(
        "event",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + Rows.EVENT_COLUMNS + " FROM outbox_events WHERE event_id = ?")) {
            ps.setString(1, eventId);
            List<OutboxEvent> l = readEvents(ps);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
          }
        });
  }

  @Override
  public Page<EventDeliveries> events(EventQuery q) {
    Cursors.Position after = q.cursor() == null ? null : Cursors.decode(q.cursor());
    StringBuilder sql =
        new StringBuilder("SELECT ")
            .append(Rows.EVENT_COLUMNS)
            .append(", dispatched_at FROM outbox_events WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (q.ownerId() != null) {
      sql.append(" AND owner_id = ?");
      params.add(q.ownerId());
    }
    if (q.keyId() != null) {
      sql.append(" AND key_id = ?");
      params.add(q.keyId());
    }
    if (q.type() != null) {
      sql.append(" AND type = ?");
      params.add(q.type());
    }
    if (after != null) {
      sql.append(" AND (created_at < ? OR (created_at = ? AND event_id < ?))");
      params.add(after.millis());
      params.add(after.millis());
      params.add(after.id());
    }
    sql.append(" ORDER BY created_at DESC, event_id DESC LIMIT ?");
    params.add((long) q.limit() + 1);
    return store.read(
        "events",
        c -> {
          Map<String, OutboxEvent> events = new LinkedHashMap<>();
          Map<String, Instant> dispatched = new HashMap<>();
          try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                OutboxEvent e = Rows.readEvent(rs);
                events.put(e.eventId(), e);
                dispatched.put(e.eventId(), millis(rs, "dispatched_at"));
              }
            }
          }
          List<OutboxEvent> rows = new ArrayList<>(events.values());
          String next = null;
          if (rows.size() > q.limit()) {
            rows = rows.subList(0, q.limit());
            OutboxEvent last = rows.get(rows.size() - 1);
            next = Cursors.encode(last.createdAt().toEpochMilli(), last.eventId());
          }
          Map<String, List<Delivery>> byEvent = deliveriesOf(c, rows);
          List<EventDeliveries> out = new ArrayList<>();
          for (OutboxEvent e : rows) {
            out.add(
                new EventDeliveries(
                    e, dispatched.get(e.eventId()), byEvent.getOrDefault(e.eventId(), List.of())));
          }
          return new Page<>(out, next);
        });
  }

  private static Map<String, List<Delivery>> deliveriesOf(Connection c, List<OutboxEvent> events)
      throws SQLException {
    Map<String, List<Delivery>> out = new HashMap<>();
    if (events.isEmpty()) {
      return out;
    }
    String marks = String.join(", ", java.util.Collections.nCopies(events.size(), "?"));
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + DELIVERY_COLUMNS
                + " FROM deliveries WHERE event_id IN ("
                + marks
                + ") ORDER BY created_at, delivery_id")) {
      for (int i = 0; i < events.size(); i++) {
        ps.setString(i + 1, events.get(i).eventId());
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Delivery d = readDelivery(rs);
          out.computeIfAbsent(d.eventId(), k -> new ArrayList<>()).add(d);
        }
      }
    }
    return out;
  }

  @Override
  public long backlog() {
    return store.read(
        "backlog",
        c -> {
          long n = 0;
          for (String sql :
              List.of(
                  "SELECT COUNT(*) FROM outbox_events WHERE dispatched_at IS NULL",
                  "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")) {
            try (PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
              rs.next();
              n += rs.getLong(1);
            }
          }
          return n;
        });
  }

  @Override
  public List<ApiKeyRecord> expiringWithoutNotice(int days, Instant now, int limit) {
    long t = now.toEpochMilli();
    String sql =
        "SELECT "
            + Rows.KEY_COLUMNS
            + " FROM api_keys WHERE status = 'active' AND expires_at IS NOT NULL"
            + " AND expires_at > ? AND expires_at <= ? AND (revokes_at IS NULL OR revokes_at > ?)"
            + " AND NOT EXISTS (SELECT 1 FROM expiry_notices n"
            + " WHERE n.key_id = api_keys.key_id AND n.days = ?)"
            + " ORDER BY expires_at, key_id LIMIT ?";
    return keys(
        "expiringWithoutNotice",
        sql,
        List.of(t, t + days * 86_400_000L, t, (long) days, (long) limit));
  }

  @Override
  public List<ApiKeyRecord> expiredWithoutNotice(Instant now, int limit) {
    long t = now.toEpochMilli();
    String sql =
        "SELECT "
            + Rows.KEY_COLUMNS
            + " FROM api_keys WHERE status = 'active' AND expires_at IS NOT NULL"
            + " AND expires_at <= ? AND (revokes_at IS NULL OR revokes_at > ?)"
            + " AND NOT EXISTS (SELECT 1 FROM expiry_notices n"
            + " WHERE n.key_id = api_keys.key_id AND n.days = 0)"
            + " ORDER BY expires_at, key_id LIMIT ?";
    return keys("expiredWithoutNotice", sql, List.of(t, t, (long) limit));
  }

  private List<ApiKeyRecord> keys(String op, String sql, List<Object> params) {
    return store.read(
        op,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            List<ApiKeyRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(Rows.readKey(rs));
              }
            }
            return out;
          }
        });
  }

  @Override
  public boolean recordExpiryNotice(
      String keyId, int days, List<Integer> suppressed, OutboxEvent event, Instant at) {
    String insert =
        "INSERT INTO expiry_notices (key_id, days, sent_at, event_id) VALUES (?, ?, ?, ?)"
            + " ON CONFLICT (key_id, days) DO NOTHING";
    return store.write(
        "recordExpiryNotice",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(insert)) {
            ps.setString(1, keyId);
            ps.setInt(2, days);
            ps.setLong(3, at.toEpochMilli());
            ps.setString(4, event.eventId());
            if (ps.executeUpdate() == 0) {
              return false;
            }
            for (int d : suppressed) {
              ps.setString(1, keyId);
              ps.setInt(2, d);
              ps.setLong(3, at.toEpochMilli());
              ps.setNull(4, Types.VARCHAR);
              ps.executeUpdate();
            }
          }
          insertEvent(c, event);
          return true;
        });
  }

  /** Writes an outbox event on {@code c} (inside the caller's transaction). */
  static void insertEvent(Connection c, OutboxEvent event) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO outbox_events (" + Rows.EVENT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
      Rows.bindEvent(ps, event);
      ps.executeUpdate();
    }
  }

  static void bind(PreparedStatement ps, List<Object> params) throws SQLException {
    for (int i = 0; i < params.size(); i++) {
      Object p = params.get(i);
      if (p instanceof String s) {
        ps.setString(i + 1, s);
      } else if (p instanceof Integer n) {
        ps.setInt(i + 1, n);
      } else {
        ps.setLong(i + 1, (Long) p);
      }
    }
  }
}
