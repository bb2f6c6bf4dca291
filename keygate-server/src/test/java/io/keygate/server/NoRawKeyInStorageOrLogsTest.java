package io.keygate.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.LogCapture;
import io.keygate.server.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 2, "Must show": after 1,000 keys are created and verified through the HTTP API, neither the
 * database files nor the server's log output hold any raw key (or the admin token).
 */
class NoRawKeyInStorageOrLogsTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final int KEYS = 1000;

  @TempDir Path dir;

  @Test
  void thousandKeysCreatedAndVerified_leaveNoRawKeyInDatabaseOrLogs() throws Exception {
    LogCapture log = LogCapture.start();

    Map<String, String> rawByKeyId = new ConcurrentHashMap<>();
    String adminToken;
    try {
      TestServer t = servers.start(dir);
      adminToken = t.adminToken;
      try {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
          List<Future<?>> jobs = new ArrayList<>();
          for (int i = 0; i < KEYS; i++) {
            int n = i;
            jobs.add(
                pool.submit(
                    () -> {
                      JsonNode k = t.createKey("owner_id", "owner-" + (n % 10), "name", "k" + n);
                      String raw = k.path("api_key").asText();
                      assertThat(t.verify(raw).path("code").asText()).isEqualTo("valid");
                      rawByKeyId.put(k.path("key_id").asText(), raw);
                    }));
          }
          for (Future<?> f : jobs) {
            f.get();
          }
        } finally {
          pool.shutdownNow();
        }
        t.server.keygate().flushUsage();
        String anyId = rawByKeyId.keySet().iterator().next();
        assertThat(t.get("/v1/keys/" + anyId).expect(200).path("usage_count").asLong())
            .isEqualTo(1);
        // a failing verification and a key in a URL must not leak it either
        String someKey = rawByKeyId.values().iterator().next();
        t.verify(someKey.substring(0, someKey.length() - 1) + "x");
        t.req("GET", "/v1/authz").token(null).header("X-Original-URI", "/x?key=" + someKey).send();
      } finally {
        t.close();
      }
    } finally {
      log.close();
    }

    assertThat(rawByKeyId).hasSize(KEYS);
    String storage = readDataDir();
    String logs = log.text();
    assertThat(logs).as("captured log output").contains("Keygate listening on");

    List<String> leaks = new ArrayList<>();
    rawByKeyId.forEach(
        (id, raw) -> {
          String body = raw.substring(raw.lastIndexOf('_') + 1);
          if (storage.contains(body)) {
            leaks.add("database holds the raw key of " + id);
          }
          if (logs.contains(body)) {
            leaks.add("log holds the raw key of " + id);
          }
          if (!storage.contains(id)) {
            leaks.add("database lacks key id " + id + " (the check would be vacuous)");
          }
        });
    String tokenBody = adminToken.substring(adminToken.lastIndexOf('_') + 1);
    assertThat(storage).as("database holds the admin token").doesNotContain(tokenBody);
    assertThat(logs).as("log holds the admin token").doesNotContain(tokenBody);
    assertThat(leaks).isEmpty();
  }

  /** Every file of the data directory (database, -wal, -shm, pepper) as one Latin-1 string. */
  private String readDataDir() throws IOException {
    StringBuilder all = new StringBuilder();
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        names.add(f.getFileName().toString());
        all.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).append('\n');
      }
    }
    assertThat(names).contains("keygate.db");
    return all.toString();
  }
}
