package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.Route;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The route table, {@code /openapi.json} and the prose agree: every route a node registers is in
 * {@code /openapi.json}, every operation there is registered, and every {@code METHOD /path} the
 * README and docs name exists. A node with owners and alerts configured registers every route.
 *
 * <p>Two kinds of route are documented once rather than per method, and are allowed for here: a
 * {@code HEAD} twin of a {@code GET} route (openapi's description says HEAD is answered on every
 * GET route) and the forward-auth routes, which answer any method on {@code /v1/authz} and {@code
 * /v1/authz/{path}} (documented as {@code get} with "Any method").
 */
class RouteDocsTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final Set<String> METHODS =
      Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");

  /** {@code METHOD /path} in prose or a table cell; the path ends at a space, quote or bracket. */
  private static final Pattern DOCUMENTED =
      Pattern.compile(
          "\\b(GET|POST|PUT|PATCH|DELETE) (/(?:v1|healthz|readyz|metrics|openapi)[^\\s`'\"|),]*)");

  @TempDir Path dir;
  TestServer t;

  @BeforeEach
  void start() {
    t = servers.start(dir);
  }

  /**
   * {@code /v1/keys/{key_id}} and {@code /v1/authz/<path>} as {@code /v1/keys/{}}, {@code
   * /v1/authz/{}}.
   */
  private static String shape(String path) {
    return path.replaceAll("\\{[^}/]*}", "{}").replaceAll("<[^>/]*>", "{}");
  }

  private Set<String> registered() {
    Set<String> out = new TreeSet<>();
    for (Route r : t.server.routes()) {
      out.add(r.method().toUpperCase(Locale.ROOT) + " " + shape(r.path()));
    }
    return out;
  }

  private Set<String> inOpenApi() {
    JsonNode doc = t.req("GET", "/openapi.json").token(null).send().expect(200);
    Set<String> out = new TreeSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> p = it.next();
      for (Iterator<String> ms = p.getValue().fieldNames(); ms.hasNext(); ) {
        String m = ms.next().toUpperCase(Locale.ROOT);
        if (METHODS.contains(m)) {
          out.add(m + " " + shape(p.getKey()));
        }
      }
    }
    return out;
  }

  /** Whether {@code route} is documented once for several methods (see the class comment). */
  private static boolean documentedOnce(String route, Set<String> openapi) {
    String path = route.substring(route.indexOf(' ') + 1);
    if (route.startsWith("HEAD ") && openapi.contains("GET " + path)) {
      return true;
    }
    return path.equals("/v1/authz") || path.equals("/v1/authz/{}");
  }

  @Test
  void everyRegisteredRoute_isInOpenApi() {
    Set<String> openapi = inOpenApi();
    List<String> missing = new ArrayList<>();
    for (String route : registered()) {
      if (!openapi.contains(route) && !documentedOnce(route, openapi)) {
        missing.add(route);
      }
    }
    assertThat(missing).as("registered routes missing from /openapi.json").isEmpty();
    assertThat(openapi).contains("GET /v1/authz", "GET /v1/authz/{}", "POST /v1/keys/import");
  }

  @Test
  void everyOpenApiOperation_isRegistered() {
    Set<String> routes = registered();
    assertThat(inOpenApi())
        .as("operations in /openapi.json without a route")
        .allSatisfy(op -> assertThat(routes).contains(op));
  }

  @Test
  void everyRouteTheDocsName_exists() throws IOException {
    List<Pattern> routes =
        t.server.routes().stream()
            .map(
                r ->
                    Pattern.compile(
                        Pattern.quote(r.method().toUpperCase(Locale.ROOT) + " ")
                            + Stream.of(r.path().split("/", -1))
                                .map(
                                    s ->
                                        s.startsWith("<")
                                            ? ".+"
                                            : s.startsWith("{") ? "[^/]+" : Pattern.quote(s))
                                .reduce((a, b) -> a + "/" + b)
                                .orElseThrow()))
            .toList();
    List<Path> docs = new ArrayList<>(List.of(Path.of("..", "README.md")));
    try (Stream<Path> files = Files.list(Path.of("..", "docs"))) {
      files.filter(f -> f.toString().endsWith(".md")).forEach(docs::add);
    }
    List<String> unknown = new ArrayList<>();
    int found = 0;
    for (Path doc : docs) {
      Matcher m = DOCUMENTED.matcher(Files.readString(doc));
      while (m.find()) {
        String path = m.group(2).replaceAll("[?#].*", "").replaceAll("[.:;]+$", "");
        if (path.contains("*")) {
          continue; // a key's endpoint rule (GET /v1/data/**): the customer's API, not Keygate's
        }
        String route = m.group(1) + " " + path.replaceAll("\\{[^}/]*}", "x");
        found++;
        if (routes.stream().noneMatch(p -> p.matcher(route).matches())) {
          unknown.add(doc.getFileName() + ": " + m.group(1) + " " + path);
        }
      }
    }
    assertThat(found).as("documented routes found").isGreaterThan(20);
    assertThat(unknown).as("routes the docs name that no node registers").isEmpty();
  }
}
