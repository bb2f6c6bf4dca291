package io.keygate.scan;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/** The writers behind {@link ReportFormat}. Stateless and thread-safe. */
final class Reports {
  static final String TOOL_NAME = "Keygate";
  static final String INFORMATION_URI = "https://github.com/keygate/keygate";
  static final String SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
  static final String FINGERPRINT_KEY = "keygateFingerprint/v1";
  static final String VERSION = loadVersion();

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

  private Reports() {}

  private static String loadVersion() {
    Properties p = new Properties();
    try (InputStream in = Reports.class.getResourceAsStream("keygate-scan.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      return "0.0.0";
    }
    String v = p.getProperty("version", "0.0.0");
    return v.startsWith("$") ? "0.0.0" : v;
  }

  static ObjectMapper mapper() {
    return JSON;
  }

  static String date(CommitInfo c) {
    return c.date().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
  }

  static void text(List<Finding> findings, OutputStream out) {
    PrintStream ps = new PrintStream(out, false, StandardCharsets.UTF_8);
    for (Finding f : findings) {
      StringBuilder line =
          new StringBuilder()
              .append(f.file())
              .append(':')
              .append(f.line())
              .append(':')
              .append(f.column())
              .append("  ")
              .append(f.keyType().name())
              .append("  ")
              .append(f.redacted());
      if (f.split()) {
        line.append("  (split across lines ").append(f.line()).append('-').append(f.endLine());
        line.append(')');
      }
      CommitInfo c = f.commit();
      if (c != null) {
        line.append("  commit ")
            .append(c.sha(), 0, 12)
            .append(" by ")
            .append(c.author())
            .append(" <")
            .append(c.email())
            .append("> on ")
            .append(date(c))
            .append(": ")
            .append(c.message());
      }
      ps.println(line);
    }
    ps.flush();
  }

  static void json(List<Finding> findings, OutputStream out) throws IOException {
    ArrayNode arr = JSON.createArrayNode();
    for (Finding f : findings) {
      ObjectNode o = arr.addObject();
      o.put("file", f.file());
      o.put("line", f.line());
      o.put("column", f.column());
      o.put("end_line", f.endLine());
      o.put("end_column", f.endColumn());
      o.put("key_type", f.keyType().name());
      o.put("redacted", f.redacted());
      o.put("fingerprint", f.fingerprint());
      o.put("split", f.split());
      putCommit(o, f.commit());
    }
    JSON.writeValue(out, arr);
    out.write('\n');
  }

  static void putCommit(ObjectNode o, CommitInfo c) {
    if (c != null) {
      o.put("commit", c.sha());
      o.put("author", c.author());
      o.put("email", c.email());
      o.put("date", date(c));
      o.put("message", c.message());
    }
  }

  static void sarif(List<Finding> findings, KeyTypes keyTypes, OutputStream out)
      throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("$schema", SARIF_SCHEMA);
    root.put("version", "2.1.0");
    ObjectNode run = root.putArray("runs").addObject();
    ObjectNode driver = run.putObject("tool").putObject("driver");
    driver.put("name", TOOL_NAME);
    driver.put("informationUri", INFORMATION_URI);
    driver.put("semanticVersion", VERSION);
    ArrayNode rules = driver.putArray("rules");
    Map<String, Integer> ruleIndex = new HashMap<>();
    for (KeyType t : keyTypes.all()) {
      ruleIndex.put(t.name(), ruleIndex.size());
      rule(rules.addObject(), t);
    }
    ArrayNode results = run.putArray("results");
    for (Finding f : findings) {
      KeyType t = f.keyType();
      Integer index = ruleIndex.get(t.name());
      if (index == null) {
        index = ruleIndex.size();
        ruleIndex.put(t.name(), index);
        rule(rules.addObject(), t);
      }
      ObjectNode r = results.addObject();
      r.put("ruleId", ruleId(t));
      r.put("ruleIndex", index);
      r.put("level", level(t));
      r.putObject("message").put("text", message(f));
      ObjectNode loc = r.putArray("locations").addObject().putObject("physicalLocation");
      ObjectNode artifact = loc.putObject("artifactLocation");
      artifact.put("uri", uri(f.file()));
      if (!Path.of(f.file()).isAbsolute()) {
        artifact.put("uriBaseId", "%SRCROOT%");
      }
      ObjectNode region = loc.putObject("region");
      region.put("startLine", f.line());
      region.put("startColumn", f.column());
      region.put("endLine", f.endLine());
      region.put("endColumn", f.endColumn());
      r.putObject("partialFingerprints").put(FINGERPRINT_KEY, f.fingerprint());
      ObjectNode props = r.putObject("properties");
      props.put("redacted", f.redacted());
      props.put("keyType", t.name());
      props.put("split", f.split());
      CommitInfo c = f.commit();
      if (c != null) {
        props.put("commit", c.sha());
        props.put("author", c.author());
        props.put("email", c.email());
        props.put("date", date(c));
        props.put("message", c.message());
      }
    }
    JSON.writeValue(out, root);
    out.write('\n');
  }

  static String ruleId(KeyType t) {
    return "keygate/" + t.name();
  }

  private static String level(KeyType t) {
    return t.live() ? "error" : "warning";
  }

  private static String severity(KeyType t) {
    if (t.admin()) {
      return "9.8";
    }
    return t.live() ? "9.1" : "5.0";
  }

  private static String kind(KeyType t) {
    if (t.admin()) {
      return "Keygate admin token";
    }
    return "Keygate " + (t.live() ? "live" : "test") + " API key (" + t.name() + ")";
  }

  private static void rule(ObjectNode r, KeyType t) {
    // One rule covers every imported prefix (they share the type name): name none of them.
    boolean imported = t.name().equals(KeyMatcher.OTHER_IMPORTED.name());
    String prefix = imported ? "an imported prefix" : t.prefix();
    r.put("id", ruleId(t));
    r.put("name", "Leaked" + camel(t.name()) + "Key");
    r.putObject("shortDescription")
        .put("text", "Leaked Keygate " + t.name() + " key (" + prefix + ")");
    r.putObject("fullDescription")
        .put(
            "text",
            "A "
                + kind(t)
                + (imported
                    ? " with an imported prefix was found; imported keys carry no checksum, so the"
                        + " server confirms it by hash (keygate scan --report-to)."
                    : " with prefix "
                        + t.prefix()
                        + " was found and confirmed by its CRC-32 checksum, so it is a real key,"
                        + " not a look-alike.")
                + " Anyone who can read this file or commit can use it.");
    String action =
        t.live()
            ? "Revoke or rotate the key in Keygate now (or send it to the server with"
                + " keygate scan --report-to, which revokes it), then remove it from the file and"
                + " from history."
            : "Test keys grant no production access, but remove it and rotate it anyway.";
    ObjectNode help = r.putObject("help");
    help.put(
        "text",
        action + " Load keys from the environment or a secret manager instead of source files.");
    help.put(
        "markdown",
        "**"
            + kind(t)
            + "** ("
            + (imported ? prefix : "`" + t.prefix() + "…`")
            + ")\n\n"
            + action
            + "\n\nLoad keys from the environment or a secret manager instead of source files;"
            + " run `keygate scan` as a pre-commit hook to stop the next one.");
    r.putObject("defaultConfiguration").put("level", level(t));
    ObjectNode props = r.putObject("properties");
    ArrayNode tags = props.putArray("tags");
    tags.add("security");
    tags.add("secret");
    tags.add("keygate");
    tags.add(t.live() ? "live" : "test");
    props.put("precision", "very-high");
    props.put("security-severity", severity(t));
  }

  private static String camel(String name) {
    StringBuilder sb = new StringBuilder();
    for (String part : name.split("_")) {
      if (!part.isEmpty()) {
        sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
      }
    }
    return sb.toString();
  }

  private static String message(Finding f) {
    return kind(f.keyType())
        + " "
        + f.redacted()
        + " found"
        + (f.commit() == null ? "" : " in commit " + f.commit().sha().substring(0, 12))
        + (f.keyType().live() ? "; revoke it." : "; remove it.");
  }

  static String uri(String file) {
    Path p = Path.of(file);
    if (p.isAbsolute()) {
      return p.toUri().toString();
    }
    try {
      return new URI(null, null, file.replace('\\', '/'), null).toASCIIString();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("cannot express path as URI: " + file, e);
    }
  }

  static void gitleaks(List<Finding> findings, OutputStream out) throws IOException {
    ArrayNode arr = JSON.createArrayNode();
    for (Finding f : findings) {
      CommitInfo c = f.commit();
      String rule = gitleaksRuleId(f.keyType());
      ObjectNode o = arr.addObject();
      o.put("Description", "Keygate " + f.keyType().name() + " key");
      o.put("StartLine", f.line());
      o.put("EndLine", f.endLine());
      o.put("StartColumn", f.column());
      o.put("EndColumn", Math.max(1, f.endColumn() - 1));
      o.put("Match", "REDACTED");
      o.put("Secret", "REDACTED");
      o.put("File", f.file());
      o.put("SymlinkFile", "");
      o.put("Commit", c == null ? "" : c.sha());
      o.put("Entropy", entropy(f));
      o.put("Author", c == null ? "" : c.author());
      o.put("Email", c == null ? "" : c.email());
      o.put("Date", c == null ? "" : date(c));
      o.put("Message", c == null ? "" : c.message());
      ArrayNode tags = o.putArray("Tags");
      tags.add("keygate");
      tags.add(f.keyType().live() ? "live" : "test");
      tags.add("fingerprint-sha256:" + f.fingerprint());
      o.put("RuleID", rule);
      o.put(
          "Fingerprint", (c == null ? "" : c.sha() + ":") + f.file() + ":" + rule + ":" + f.line());
    }
    JSON.writeValue(out, arr);
    out.write('\n');
  }

  static String gitleaksRuleId(KeyType t) {
    return "keygate-" + t.name().replace('_', '-').toLowerCase(Locale.ROOT);
  }

  /**
   * Shannon entropy in bits per character of the key, as gitleaks reports for a secret. Reads the
   * raw key only to count its characters; the key itself is never written.
   */
  private static float entropy(Finding f) {
    String key = f.secret().reveal();
    int[] counts = new int[128];
    for (int i = 0; i < key.length(); i++) {
      counts[key.charAt(i) & 0x7F]++;
    }
    double h = 0;
    for (int c : counts) {
      if (c > 0) {
        double p = (double) c / key.length();
        h -= p * (Math.log(p) / Math.log(2));
      }
    }
    return (float) h;
  }
}
