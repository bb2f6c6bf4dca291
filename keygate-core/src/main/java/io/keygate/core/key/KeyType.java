package io.keygate.core.key;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A kind of key and the prefix that makes it recognisable, e.g. {@code live_secret} → {@code
 * sk_live_}.
 *
 * @param name stable name used in the API ({@code live_secret}, {@code test_public}, …)
 * @param prefix {@code [a-z0-9_]+} ending in {@code _}
 * @param live whether keys of this type grant production access (leaks of live keys are acted on)
 * @param admin whether this is Keygate's own management token type
 */
public record KeyType(String name, String prefix, boolean live, boolean admin) {
  private static final Pattern PREFIX = Pattern.compile("[a-z0-9_]*[a-z0-9]_");
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,39}");

  /** Validates the name and prefix. */
  public KeyType {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(prefix, "prefix");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("key type name must match [a-z][a-z0-9_]*: " + name);
    }
    if (!PREFIX.matcher(prefix).matches() || prefix.length() > 32) {
      throw new IllegalArgumentException(
          "key prefix must be [a-z0-9_], at most 32 chars, ending in '_': " + prefix);
    }
  }
}
