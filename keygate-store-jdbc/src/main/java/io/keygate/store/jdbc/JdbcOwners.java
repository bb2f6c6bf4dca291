package io.keygate.store.jdbc;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.notify.StoredOwner;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * The owners part of {@link JdbcNotifyStore}: the {@code owners} table (sealed channel lists, never
 * opened here), each change written with its audit event in one transaction. Thread-safe.
 */
final class JdbcOwners {
  private static final String OWNER_COLUMNS = "owner_id, name, channels, created_at, updated_at";

  private static final RowMapper<StoredOwner> OWNER =
      (rs, ctx) ->
          new StoredOwner(
              rs.getString("owner_id"),
              rs.getString("name"),
              rs.getString("channels"),
              Instant.ofEpochMilli(rs.getLong("created_at")),
              Instant.ofEpochMilli(rs.getLong("updated_at")));

  private final JdbcKeyStore store;

  JdbcOwners(JdbcKeyStore store) {
    this.store = store;
  }

  Optional<StoredOwner> find(String ownerId) {
    Objects.requireNonNull(ownerId, "ownerId");
    return store.query(
        "findOwner",
        h ->
            h.createQuery("SELECT " + OWNER_COLUMNS + " FROM owners WHERE owner_id = :id")
                .bind("id", ownerId)
                .map(OWNER)
                .findOne());
  }

  void insert(StoredOwner o, AuditEntry audit) {
    Objects.requireNonNull(o, "owner");
    Objects.requireNonNull(audit, "audit");
    store.transact(
        tx -> {
          tx.handle(
              "insertOwner",
              h -> {
                boolean exists =
                    h.createQuery("SELECT 1 FROM owners WHERE owner_id = :id")
                        .bind("id", o.ownerId())
                        .mapTo(int.class)
                        .findOne()
                        .isPresent();
                if (exists) {
                  throw new KeygateException.Conflict("owner " + o.ownerId() + " already exists");
                }
                return h.createUpdate(Rows.insert("owners", OWNER_COLUMNS))
                    .bind("owner_id", o.ownerId())
                    .bind("name", o.name())
                    .bind("channels", o.sealedChannels())
                    .bind("created_at", o.createdAt().toEpochMilli())
                    .bind("updated_at", o.updatedAt().toEpochMilli())
                    .execute();
              });
          tx.appendAudit(audit);
          return null;
        });
  }

  void update(StoredOwner o, AuditEntry audit) {
    Objects.requireNonNull(o, "owner");
    Objects.requireNonNull(audit, "audit");
    store.transact(
        tx -> {
          int n =
              tx.handle(
                  "updateOwner",
                  h ->
                      h.createUpdate(
                              "UPDATE owners SET name = :name, channels = :channels,"
                                  + " updated_at = :updated WHERE owner_id = :id")
                          .bind("name", o.name())
                          .bind("channels", o.sealedChannels())
                          .bind("updated", o.updatedAt().toEpochMilli())
                          .bind("id", o.ownerId())
                          .execute());
          if (n == 0) {
            throw new KeygateException.NotFound("no owner with id " + o.ownerId());
          }
          tx.appendAudit(audit);
          return null;
        });
  }

  List<StoredOwner> page(String afterOwnerId, int limit) {
    return store.query(
        "owners",
        h ->
            h.createQuery(
                    "SELECT "
                        + OWNER_COLUMNS
                        + " FROM owners WHERE owner_id > :after ORDER BY owner_id LIMIT :limit")
                .bind("after", afterOwnerId == null ? "" : afterOwnerId)
                .bind("limit", limit)
                .map(OWNER)
                .list());
  }

  boolean replaceSealedChannels(String ownerId, String expected, String replacement) {
    return store.update(
            "replaceSealedChannels",
            h ->
                h.createUpdate(
                        "UPDATE owners SET channels = :replacement"
                            + " WHERE owner_id = :id AND channels = :expected")
                    .bind("replacement", replacement)
                    .bind("id", ownerId)
                    .bind("expected", expected)
                    .execute())
        == 1;
  }
}
