package io.keygate.example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/** A tiny real-HTTP client for the example's tests. */
final class Http {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();
  private final int port;

  /** A response with its JSON body parsed. */
  record Answer(int status, JsonNode body, HttpResponse<String> raw) {
    String error() {
      return status + " " + body.path("error").asText();
    }

    String keyId() {
      return status + " " + body.path("key_id").asText();
    }
  }

  Http(int port) {
    this.port = port;
  }

  Answer send(String method, String path, Map<String, String> headers, String json)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    headers.forEach(b::header);
    if (json != null) {
      b.header("Content-Type", "application/json");
      b.method(method, HttpRequest.BodyPublishers.ofString(json));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    return new Answer(r.statusCode(), body, r);
  }

  Answer get(String path, String key) throws IOException, InterruptedException {
    return send("GET", path, key == null ? Map.of() : Map.of("X-API-Key", key), null);
  }
}
