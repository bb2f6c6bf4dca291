package io.keygate.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.http.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A small client of the Keygate HTTP API for the CLI. The admin token comes from the environment,
 * never from the command line (where it would land in shell history).
 */
final class ApiClient {
  /** An error answer of the API. */
  static final class ApiFailure extends RuntimeException {
    ApiFailure(int status, String code, String message) {
      super(code + " (HTTP " + status + "): " + message);
    }
  }

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final String token;

  ApiClient(String url, String token) {
    this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException(
          "set KEYGATE_TOKEN to an admin token (create one with: keygate admin create-token)");
    }
    this.token = token.strip();
  }

  JsonNode get(String path, Map<String, String> query) {
    StringJoiner q = new StringJoiner("&", "?", "");
    q.setEmptyValue("");
    query.forEach(
        (k, v) -> {
          if (v != null) {
            q.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8));
          }
        });
    return send(HttpRequest.newBuilder(URI.create(base + path + q)).GET());
  }

  JsonNode post(String path, Object body) {
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.write(body))));
  }

  /** POSTs a raw JSON-lines body. */
  JsonNode postRaw(String path, String body) {
    return postRawAllowing(path, body, 0);
  }

  /** {@link #postRaw}, returning the body of an answer with status {@code allowed} too. */
  JsonNode postRawAllowing(String path, String body, int allowed) {
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/x-ndjson")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)),
        allowed);
  }

  JsonNode patch(String path, Object body) {
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(Json.write(body))));
  }

  /**
   * GETs {@code path} and returns the body as text (for Markdown or HTML answers); an error answer
   * is an {@link ApiFailure} as for JSON calls.
   */
  String getText(String path) {
    HttpResponse<byte[]> res = exchange(HttpRequest.newBuilder(URI.create(base + path)).GET());
    if (res.statusCode() >= 400) {
      JsonNode body;
      try {
        body = Json.MAPPER.readTree(res.body());
      } catch (IOException e) {
        throw new ApiFailure(res.statusCode(), "error", "HTTP " + res.statusCode());
      }
      throw new ApiFailure(
          res.statusCode(), body.path("error").asText("error"), body.path("message").asText(""));
    }
    return new String(res.body(), StandardCharsets.UTF_8);
  }

  private JsonNode send(HttpRequest.Builder req) {
    return send(req, 0);
  }

  private JsonNode send(HttpRequest.Builder req, int allowed) {
    HttpResponse<byte[]> res = exchange(req.header("Accept", "application/json"));
    JsonNode body;
    try {
      body = Json.MAPPER.readTree(res.body());
    } catch (IOException e) {
      throw new ApiFailure(res.statusCode(), "bad_response", "the server did not answer JSON");
    }
    if (res.statusCode() >= 400 && res.statusCode() != allowed) {
      throw new ApiFailure(
          res.statusCode(), body.path("error").asText("error"), body.path("message").asText(""));
    }
    return body;
  }

  /** Sends {@code req} with the token and the timeout; a transport failure is one clear line. */
  private HttpResponse<byte[]> exchange(HttpRequest.Builder req) {
    try {
      return http.send(
          req.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach Keygate at " + base + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }
}
