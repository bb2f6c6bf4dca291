package io.keygate.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.KeygateServer;
import io.keygate.server.http.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link TestServer} with a {@link io.keygate.server.config.LeakConfig} of the test's choosing
 * and the real clock (leak response times are measured), seen through raw-body HTTP helpers. Raw
 * keys live only in test memory. Started (and closed) by {@link KeygateServerExtension#startLeaks}.
 */
public final class LeakServer implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

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

  /** An HTTP answer. */
  public record Response(int status, String body) {
    /** The body as JSON. */
    public JsonNode json() {
      try {
        return Json.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (HTTP " + status + "): " + body, e);
      }
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
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    try {
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new AssertionError(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
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
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Override
  public void close() {
    running.close();
  }
}
