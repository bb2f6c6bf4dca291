package io.keygate.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.keygate.server.config.Settings;
import io.keygate.server.http.Json;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keygate keys ...}: key administration against a running server. */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = {
      "Manage keys on a running Keygate server.",
      "The admin token is read from $KEYGATE_TOKEN; the server URL from --url or $KEYGATE_URL."
    },
    subcommands = {
      KeysCommand.Create.class,
      KeysCommand.ListKeys.class,
      KeysCommand.Show.class,
      KeysCommand.Rotate.class,
      KeysCommand.Revoke.class,
      KeysImportCommand.class
    })
final class KeysCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every subcommand shares. */
  static class Remote {
    @Option(
        names = "--url",
        description = "Keygate server URL (default: $KEYGATE_URL or http://127.0.0.1:8080).")
    String url;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    ApiClient client() {
      Map<String, String> env = KeygateCli.env(spec);
      return new ApiClient(url != null ? url : Settings.URL.from(env), Settings.TOKEN.from(env));
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    /**
     * Prints an answer that holds a new key, shown once: {@code created}'s warning to store it on
     * the error stream, then the answer.
     */
    int printShownOnce(JsonNode answer, JsonNode created) {
      spec.commandLine().getErr().println(created.path("warning").asText());
      return print(answer);
    }

    int print(JsonNode node) {
      try {
        out()
            .println(
                Json.MAPPER
                    .writer()
                    .with(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(node));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      out().flush();
      return 0;
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a key (shown once).")
  static final class Create extends Remote implements Callable<Integer> {
    @Option(names = "--owner-id", required = true, description = "Owner of the key.")
    String ownerId;

    @Option(names = "--type", description = "Key type (default live_secret).")
    String type;

    @Option(names = "--name", description = "Label.")
    String name;

    @Option(names = "--scopes", split = ",", description = "Comma-separated scopes (default read).")
    List<String> scopes;

    @Option(names = "--ip-allowlist", split = ",", description = "Comma-separated IPs/CIDRs.")
    List<String> ipAllowlist;

    @Option(names = "--expires-in-days", description = "Lifetime in days (max TTL policy).")
    Integer expiresInDays;

    @Override
    public Integer call() {
      JsonNode r =
          client()
              .post(
                  "/v1/keys",
                  fields(
                      "owner_id", ownerId,
                      "type", type,
                      "name", name,
                      "scopes", scopes,
                      "ip_allowlist", ipAllowlist,
                      "expires_in_days", expiresInDays));
      return printShownOnce(r, r);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys, newest first.")
  static final class ListKeys extends Remote implements Callable<Integer> {
    @Option(names = "--owner-id", description = "Only this owner's keys.")
    String ownerId;

    @Option(names = "--status", description = "active, disabled, revoked or expired.")
    String status;

    @Option(names = "--limit", description = "Page size (default 50).")
    Integer limit;

    @Option(names = "--cursor", description = "Cursor from a previous page.")
    String cursor;

    @Option(names = "--json", description = "Print the raw JSON page.")
    boolean json;

    @Override
    public Integer call() {
      Map<String, String> q = new LinkedHashMap<>();
      q.put("owner_id", ownerId);
      q.put("status", status);
      q.put("limit", limit == null ? null : limit.toString());
      q.put("cursor", cursor);
      JsonNode page = client().get("/v1/keys", q);
      if (json) {
        return print(page);
      }
      PrintWriter o = out();
      o.printf(
          "%-28s %-16s %-20s %-9s %-24s %s%n",
          "KEY ID", "TYPE", "OWNER", "STATUS", "HINT", "SCOPES");
      for (JsonNode k : page.path("data")) {
        o.printf(
            "%-28s %-16s %-20s %-9s %-24s %s%n",
            k.path("key_id").asText(),
            k.path("type").asText(),
            k.path("owner_id").asText(""),
            k.path("status").asText(),
            k.path("hint").asText(),
            String.join(",", Json.MAPPER.convertValue(k.path("scopes"), String[].class)));
      }
      if (!page.path("next_cursor").isNull()) {
        o.println("more: --cursor " + page.path("next_cursor").asText());
      }
      o.flush();
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one key.")
  static final class Show extends Remote implements Callable<Integer> {
    @Parameters(paramLabel = "KEY_ID")
    String keyId;

    @Override
    public Integer call() {
      return print(client().get("/v1/keys/" + keyId, Map.of()));
    }
  }

  @Command(
      name = "rotate",
      mixinStandardHelpOptions = true,
      description = "Rotate a key (new key shown once).")
  static final class Rotate extends Remote implements Callable<Integer> {
    @Parameters(paramLabel = "KEY_ID")
    String keyId;

    @Option(
        names = "--grace-period-hours",
        description = "How long the old key keeps working (default 24; 0 = revoke now).")
    Double graceHours;

    @Override
    public Integer call() {
      JsonNode r =
          client().post("/v1/keys/" + keyId + "/rotate", fields("grace_period_hours", graceHours));
      return printShownOnce(r, r.path("new_key"));
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key now.")
  static final class Revoke extends Remote implements Callable<Integer> {
    @Parameters(paramLabel = "KEY_ID")
    String keyId;

    @Option(names = "--reason", description = "Why (kept in the audit log).")
    String reason;

    @Override
    public Integer call() {
      return print(client().post("/v1/keys/" + keyId + "/revoke", fields("reason", reason)));
    }
  }

  /** A request body from name/value pairs, in order, leaving out the values not given (null). */
  private static Map<String, Object> fields(Object... namesAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (namesAndValues[i + 1] != null) {
        m.put((String) namesAndValues[i], namesAndValues[i + 1]);
      }
    }
    return m;
  }
}
