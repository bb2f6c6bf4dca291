package io.keygate.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keygate.server.http.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code keygate keys import FILE}: sends a JSON-lines file of keys known by their SHA-256 to
 * {@code POST /v1/keys/import}, in chunks that fit the server's body limit, and prints {@code
 * {"imported", "skipped": [{line, error, message}]}} with line numbers of the whole file.
 */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = {
      "Import keys from another system by their SHA-256 (JSON lines).",
      "Each line: {\"sha256\", \"prefix\"?, \"owner_id\", \"name\"?, \"scopes\"?, \"ip_allowlist\"?,"
          + " \"rate_limit(s)\"?, \"expires_at\"|\"expires_in_days\"?, \"meta\"?, \"type\"?}."
    })
final class KeysImportCommand extends KeysCommand.Remote implements Callable<Integer> {
  /** Lines per request. */
  static final int CHUNK_LINES = 100;

  /** Bytes per request, below the server's default 64 KiB body limit. */
  static final int CHUNK_BYTES = 48 * 1024;

  @Parameters(paramLabel = "FILE", description = "JSON lines file.")
  Path file;

  @Override
  public Integer call() throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    ApiClient client = client();
    int imported = 0;
    ArrayNode skipped = Json.MAPPER.createArrayNode();
    int start = 0;
    while (start < lines.size()) {
      int end = start;
      int bytes = 0;
      while (end < lines.size() && end - start < CHUNK_LINES) {
        int len = lines.get(end).getBytes(StandardCharsets.UTF_8).length + 1;
        if (end > start && bytes + len > CHUNK_BYTES) {
          break;
        }
        bytes += len;
        end++;
      }
      JsonNode r = client.postRaw("/v1/keys/import", String.join("\n", lines.subList(start, end)));
      imported += r.path("imported").asInt();
      for (JsonNode s : r.path("skipped")) {
        ObjectNode o = s.deepCopy();
        o.put("line", s.path("line").asInt() + start);
        skipped.add(o);
      }
      start = end;
    }
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("imported", imported);
    out.set("skipped", skipped);
    print(out);
    return skipped.isEmpty() ? 0 : 1;
  }
}
