package io.keygate.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatabaseUrlTest {

  @Test
  void parse_jdbcSqlite_keepsUrl() {
    DatabaseUrl u = DatabaseUrl.parse("jdbc:sqlite:/var/lib/keygate/keygate.db");

    assertThat(u)
        .isEqualTo(
            new DatabaseUrl(Dialect.SQLITE, "jdbc:sqlite:/var/lib/keygate/keygate.db", null, null));
  }

  @Test
  void parse_jdbcPostgres_keepsUrl() {
    DatabaseUrl u = DatabaseUrl.parse("jdbc:postgresql://db:5432/keygate?sslmode=require");

    assertThat(u.dialect()).isEqualTo(Dialect.POSTGRESQL);
    assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/keygate?sslmode=require");
    assertThat(u.user()).isNull();
  }

  @Test
  void parse_postgresUri_convertsToJdbcAndTakesOutDecodedCredentials() {
    DatabaseUrl u =
        DatabaseUrl.parse(
            "postgres://kg%2Badmin:p%40ss%3Aw0rd@db.internal:6543/keys?sslmode=verify-full");

    assertThat(u.dialect()).isEqualTo(Dialect.POSTGRESQL);
    assertThat(u.jdbcUrl())
        .isEqualTo("jdbc:postgresql://db.internal:6543/keys?sslmode=verify-full");
    assertThat(u.user()).isEqualTo("kg+admin");
    assertThat(u.password()).isEqualTo("p@ss:w0rd");
    assertThat(u.toString()).doesNotContain("p@ss").doesNotContain("w0rd");
  }

  @Test
  void parse_postgresqlUri_withoutPortOrPassword() {
    DatabaseUrl u = DatabaseUrl.parse("postgresql://keygate@localhost/keygate");

    assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost/keygate");
    assertThat(u.user()).isEqualTo("keygate");
    assertThat(u.password()).isNull();
  }

  @Test
  void parse_postgresUriWithoutHost_isIllegalArgument() {
    assertThatThrownBy(() -> DatabaseUrl.parse("postgres:///keygate"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no host");
  }

  @Test
  void parse_inMemorySqlite_isIllegalArgument() {
    for (String url :
        new String[] {"jdbc:sqlite::memory:", "jdbc:sqlite:", "jdbc:sqlite:file:x?mode=memory"}) {
      assertThatThrownBy(() -> DatabaseUrl.parse(url))
          .as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("in-memory SQLite");
    }
  }

  @Test
  void parse_otherScheme_isIllegalArgumentWithPasswordMasked() {
    assertThatThrownBy(() -> DatabaseUrl.parse("mysql://root:hunter2@db/keys"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unsupported database URL mysql://root:****@db/keys")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void describe_hidesPasswordParameters() {
    assertThat(
            DatabaseUrl.parse("jdbc:postgresql://db/k?user=a&password=s3cret&ssl=true").describe())
        .isEqualTo("jdbc:postgresql://db/k?user=a&password=****&ssl=true");
    assertThat(DatabaseUrl.parse("jdbc:postgresql://db/k?sslpassword=s3cret").toString())
        .doesNotContain("s3cret");
  }
}
