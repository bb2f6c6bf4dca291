package io.keygate.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keygate.server.http.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code keygate keys import FILE}: sends a JSON-lines file of keys known by their SHA-256 to
 * {@code POST /v1/keys/import}, in chunks that fit the server's body limit. The whole file is
 * validated first ({@code ?dry_run=true}, chunk by chunk): one invalid line anywhere imports
 * nothing and prints {@code {"imported": 0, "invalid": [{line, error, message}]}} with line numbers
 * of the whole file (exit 1); otherwise it imports and prints {@code {"imported", "skipped"}}.
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
    ArrayNode invalid = Json.MAPPER.createArrayNode();
    for (int[] c : chunks(lines)) {
      JsonNode r = client.postRawAllowing("/v1/keys/import?dry_run=true", body(lines, c), 400);
      for (JsonNode l : r.path("lines")) {
        invalid.add(renumbered(l, c[0]));
      }
    }
    ObjectNode out = Json.MAPPER.createObjectNode();
    if (!invalid.isEmpty()) {
      out.put("imported", 0);
      out.set("invalid", invalid);
      print(out);
      return 1;
    }
    int imported = 0;
    ArrayNode skipped = Json.MAPPER.createArrayNode();
    for (int[] c : chunks(lines)) {
      JsonNode r = client.postRaw("/v1/keys/import", body(lines, c));
      imported += r.path("imported").asInt();
      for (JsonNode s : r.path("skipped")) {
        skipped.add(renumbered(s, c[0]));
      }
    }
    out.put("imported", imported);
    out.set("skipped", skipped);
    print(out);
    return skipped.isEmpty() ? 0 : 1;
  }

  /**
   * {@code [start, end)} line ranges of at most {@link #CHUNK_LINES} and about {@link
   * #CHUNK_BYTES}.
   */
  private static List<int[]> chunks(List<String> lines) {
    List<int[]> out = new ArrayList<>();
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
      out.add(new int[] {start, end});
      start = end;
    }
    return out;
  }

  private static String body(List<String> lines, int[] chunk) {
    return String.join("\n", lines.subList(chunk[0], chunk[1]));
  }

  /** A per-chunk line entry with the line number of the whole file. */
  private static ObjectNode renumbered(JsonNode entry, int offset) {
    ObjectNode o = entry.deepCopy();
    o.put("line", entry.path("line").asInt() + offset);
    return o;
  }
}
