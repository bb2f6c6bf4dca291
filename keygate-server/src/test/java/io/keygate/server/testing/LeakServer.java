package io.keygate.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.KeygateServer;
import io.keygate.server.http.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A {@link TestServer} with a {@link io.keygate.server.config.LeakConfig} of the test's choosing
 * and the real clock (leak response times are measured), seen through raw-body HTTP helpers. Raw
 * keys live only in test memory. Started (and closed) by {@link KeygateServerExtension#startLeaks}.
 */
public final class LeakServer implements AutoCloseable {
  public final KeygateServer server;
  public final String adminToken;
  public final String base;

  private final TestServer running;

  /** Started by {@link KeygateServerExtension#startLeaks}, which closes it after the test. */
  LeakServer(TestServer running) {
    this.running = running;
    this.server = running.server;
    this.base = running.base;
    this.adminToken = running.adminToken;
  }

  /** A new admin token (null owner = all owners; null scopes = all admin scopes). */
  public String token(String owner, List<String> scopes) {
    return running.token(owner, scopes);
  }

  /** An HTTP answer; {@link TestServer.Response} without the headers. */
  public record Response(int status, String body) {
    /** The body as JSON. */
    public JsonNode json() {
      return new TestServer.Response(status, Map.of(), body).json();
    }
  }

  /**
   * Sends a request.
   *
   * @param token bearer token, or null
   * @param body raw body, or null
   * @param headers alternating names and values
   */
  public Response send(String method, String path, String token, byte[] body, String... headers) {
    TestServer.Req r =
        running.req(method, path).token(token).body(body).timeout(Duration.ofSeconds(60));
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    TestServer.Response a = r.send();
    return new Response(a.status(), a.body());
  }

  /** POST of a JSON value with the admin token. */
  public Response post(String path, Object json) {
    return send("POST", path, adminToken, Json.write(json), "Content-Type", "application/json");
  }

  /** GET with the admin token. */
  public Response get(String path) {
    return send("GET", path, adminToken, null);
  }

  /** Creates a key and returns {@code [key_id, raw key]}. */
  public String[] createKey(String owner, String type) {
    JsonNode k =
        post("/v1/keys", map("owner_id", owner, "type", type, "scopes", List.of("read"))).json();
    return new String[] {k.get("key_id").asText(), k.get("api_key").asText()};
  }

  /** The outcome code of {@code POST /v1/verify} for {@code key}. */
  public String verify(String key) {
    return post("/v1/verify", map("key", key)).json().get("code").asText();
  }

  /** A map from alternating keys and values. */
  public static Map<String, Object> map(Object... kv) {
    return TestServer.map(kv);
  }

  @Override
  public void close() {
    running.close();
  }
}
