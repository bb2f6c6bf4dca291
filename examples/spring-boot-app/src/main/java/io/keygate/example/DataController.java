package io.keygate.example;

import io.keygate.spring.KeygateKey;
import io.keygate.spring.KeygatePrincipal;
import io.keygate.spring.RequireApiKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The example endpoints. Each protected one echoes the id of the key that called it, read from the
 * {@link KeygatePrincipal} the Keygate filter attached. Stateless and thread-safe.
 */
@RestController
public class DataController {

  /** Needs {@code read} (rule {@code GET /api/data/** -> read,admin}). */
  @GetMapping("/api/data")
  public Map<String, Object> list(@KeygateKey KeygatePrincipal key) {
    return Map.of("key_id", key.keyId(), "items", List.of("alpha", "beta"));
  }

  /** Needs {@code write} (rule {@code POST /api/data/** -> write}). */
  @PostMapping("/api/data")
  @ResponseStatus(HttpStatus.CREATED)
  public Map<String, Object> create(
      @KeygateKey KeygatePrincipal key, @RequestBody Map<String, Object> item) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("key_id", key.keyId());
    out.put("created", item);
    return out;
  }

  /** Needs {@code admin}, enforced by the annotation rather than a path rule. */
  @GetMapping("/api/admin")
  @RequireApiKey(scopes = "admin")
  public Map<String, Object> admin(@KeygateKey KeygatePrincipal key) {
    return Map.of("key_id", key.keyId(), "owner_id", String.valueOf(key.ownerId()));
  }

  /** Open to anyone. */
  @GetMapping("/public")
  public Map<String, Object> open() {
    return Map.of("status", "ok");
  }
}
