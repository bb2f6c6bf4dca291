package io.keygate.scan;

import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;

/**
 * Renders a gitleaks TOML configuration with one {@code [[rules]]} entry per configured key prefix,
 * extending gitleaks' default rules. gitleaks cannot check Keygate's checksum, so its matches may
 * include look-alikes; {@code keygate scan} confirms them. Stateless, thread-safe.
 */
final class GitleaksConfig {
  private GitleaksConfig() {}

  static String toml(KeyTypes types) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "# gitleaks rules for Keygate API keys, printed by `keygate scan --print-gitleaks-config`.\n");
    sb.append("# Keys are <prefix><43 base62 body><6 base62 CRC-32 checksum>.\n");
    sb.append("title = \"Keygate API keys\"\n\n");
    sb.append("[extend]\nuseDefault = true\n");
    for (KeyType t : types.all()) {
      sb.append("\n[[rules]]\n");
      sb.append("id = \"").append(Reports.gitleaksRuleId(t)).append("\"\n");
      sb.append("description = \"Keygate ")
          .append(t.name())
          .append(" key (")
          .append(t.prefix())
          .append(")\"\n");
      sb.append("regex = '''\\b")
          .append(t.prefix())
          .append("[0-9A-Za-z]{")
          .append(KeyMatcher.TAIL)
          .append("}\\b'''\n");
      sb.append("keywords = [\"").append(t.prefix()).append("\"]\n");
      sb.append("tags = [\"keygate\", \"api-key\", \"")
          .append(t.live() ? "live" : "test")
          .append("\"]\n");
    }
    return sb.toString();
  }
}
