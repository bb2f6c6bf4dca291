package io.keygate.server.logging;

import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks every key-shaped string in log text: a known key prefix (or any {@code word_} / {@code
 * word_word_} prefix) followed by a run of at least 20 base62 characters becomes the prefix plus
 * {@code ****}.
 *
 * <p>Fast path: text without an underscore cannot hold a key and is returned as is, so ordinary log
 * lines cost one {@code indexOf}. Thread-safe.
 */
public final class KeyMasker {
  private static final int MIN_RUN = 20;
  private static final Pattern KEY_SHAPED = build();

  private KeyMasker() {}

  private static Pattern build() {
    StringBuilder alt = new StringBuilder();
    for (KeyType t : KeyTypes.defaults().all()) {
      alt.append(Pattern.quote(t.prefix())).append('|');
    }
    alt.append("[A-Za-z][A-Za-z0-9]{0,15}_(?:[A-Za-z0-9]{1,15}_)?");
    return Pattern.compile("(?<![A-Za-z0-9])(" + alt + ")[0-9A-Za-z]{" + MIN_RUN + ",}");
  }

  /** {@code text} with every key-shaped run masked; {@code null} stays {@code null}. */
  public static String mask(String text) {
    if (text == null || text.indexOf('_') < 0) {
      return text;
    }
    Matcher m = KEY_SHAPED.matcher(text);
    if (!m.find()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int last = 0;
    do {
      out.append(text, last, m.start()).append(m.group(1)).append("****");
      last = m.end();
    } while (m.find());
    return out.append(text, last, text.length()).toString();
  }
}
