package io.keygate.core;

import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one masker for text that leaves the process (log lines, the effective configuration,
 * exception messages, CLI errors): every place that prints a URL or a message that may hold one
 * goes through {@link #mask}.
 *
 * <p>It masks, with {@code ****}:
 *
 * <ul>
 *   <li>key-shaped strings: a known key prefix (or any {@code word_} / {@code word_word_} prefix
 *       but Keygate's public handles such as {@code key_…} ids) followed by at least 20 base62
 *       characters keeps only its prefix;
 *   <li>the password of a URL's user info, in any scheme ({@code redis://:pw@h}, {@code
 *       redis://user:pw@h}, {@code rediss://}, {@code postgres://u:pw@h/db}, {@code postgresql://},
 *       {@code https://u:pw@h}), up to the last {@code @} of the URL, so a password holding a raw
 *       {@code @} or {@code /} is masked whole; for Redis schemes also a user info without a colon,
 *       which Redis clients read as the password;
 *   <li>the value of every {@code name=value} parameter whose name contains {@code password},
 *       {@code passwd}, {@code pwd}, {@code secret} or {@code token}, in any case ({@code
 *       password=}, {@code &password=}, {@code sslpassword=}, {@code user=a&password=b}, {@code
 *       ;password=});
 * </ul>
 *
 * and the same with the URL delimiters percent-encoded ({@code %3A%2F%2F}, {@code %3A}, {@code
 * %40}, {@code %3D}), as when a URL travels inside another URL.
 *
 * <p>It errs towards masking too much: a value runs to the next {@code &}, {@code ;}, quote, {@code
 * #} or whitespace. Every pattern starts only at a word boundary and scans without backtracking
 * over its start, so time stays linear in the text's length. Thread-safe: stateless.
 */
public final class SecretMasker {
  private static final String MASK = "****";
  private static final int MIN_KEY_RUN = 20;
  private static final String COLON = "(?::|%3[Aa])";
  private static final String AT = "(?:@|%40)";
  private static final String SCHEME =
      "(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*+" + COLON + "(?:/|%2[Ff]){2}";

  /** A user name character: anything but {@code :}, {@code @}, {@code /} (also encoded : and /). */
  private static final String USER_CHAR = "(?:%(?!3[Aa]|2[Ff])|[^:/@%\\s])";

  private static final Pattern KEY_SHAPED = keyShaped();

  /** {@code scheme://user:}; the password after it runs to the URL's last {@code @}. */
  private static final Pattern USERINFO_START = Pattern.compile(SCHEME + USER_CHAR + "*+" + COLON);

  /** {@code redis…://secret@}: a Redis client reads a user info without a colon as the password. */
  private static final Pattern REDIS_USERINFO =
      Pattern.compile(
          "(?i)((?<![A-Za-z0-9+.-])redis[a-z+-]*+"
              + COLON
              + "(?:/|%2[Ff]){2})("
              + USER_CHAR
              + "+)"
              + AT);

  /** {@code name=} (or {@code name%3D}) of a parameter; the name is judged in code. */
  private static final Pattern PARAMETER =
      Pattern.compile("(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]++)(?:=|%3[Dd])");

  private SecretMasker() {}

  private static Pattern keyShaped() {
    StringBuilder alt = new StringBuilder();
    for (KeyType t : KeyTypes.defaults().all()) {
      alt.append(Pattern.quote(t.prefix())).append('|');
    }
    // Any other word_ prefix, except Keygate's own public handles (key ids, event, alert,
    // incident, delivery, channel and lease ids): random, but not secrets, and what an operator
    // needs to find in a message or a log line.
    alt.append(
        "(?!(?:key|evt|alr|inc|dlv|ch|lease)_)[A-Za-z][A-Za-z0-9]{0,15}_(?:[A-Za-z0-9]{1,15}_)?");
    return Pattern.compile("(?<![A-Za-z0-9])(" + alt + ")[0-9A-Za-z]{" + MIN_KEY_RUN + ",}");
  }

  /**
   * {@code text} with every secret masked; {@code null} stays {@code null}, and text with nothing
   * to mask is returned as the same instance.
   */
  public static String mask(String text) {
    if (text == null) {
      return null;
    }
    String out = text;
    if (out.indexOf('_') >= 0) {
      out = replace(KEY_SHAPED, out, m -> m.group(1) + MASK);
    }
    if (out.indexOf(':') >= 0 || out.indexOf('%') >= 0) {
      out = maskUserInfoPasswords(out);
      out = replace(REDIS_USERINFO, out, m -> m.group(1) + MASK + "@");
    }
    if (out.indexOf('=') >= 0 || out.indexOf('%') >= 0) {
      out = maskParameters(out);
    }
    return out;
  }

  /**
   * Masks {@code scheme://user:password@}: the password runs to the last {@code @} (or {@code %40})
   * of its whitespace-delimited token. Each token's end and last {@code @} are found once, however
   * many {@code scheme://} it holds, so the work stays linear in the text's length.
   */
  private static String maskUserInfoPasswords(String text) {
    Matcher m = USERINFO_START.matcher(text);
    StringBuilder out = null;
    int last = 0;
    int from = 0;
    int tokenEnd = -1;
    int lastAt = -1;
    int atLength = 0;
    while (from < text.length() && m.find(from)) {
      int password = m.end();
      if (password > tokenEnd) {
        tokenEnd = password;
        while (tokenEnd < text.length() && !isSpace(text.charAt(tokenEnd))) {
          tokenEnd++;
        }
        lastAt = -1;
        for (int i = tokenEnd - 1; i >= password && lastAt < 0; i--) {
          if (text.charAt(i) == '@') {
            lastAt = i;
            atLength = 1;
          } else if (text.startsWith("%40", i)) {
            lastAt = i;
            atLength = 3;
          }
        }
      }
      if (lastAt < password) {
        from = tokenEnd; // no @ after this point in the token: nothing more to mask in it
        continue;
      }
      if (out == null) {
        out = new StringBuilder(text.length());
      }
      out.append(text, last, password).append(MASK);
      last = lastAt;
      from = lastAt + atLength;
    }
    return out == null ? text : out.append(text, last, text.length()).toString();
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
  }

  /**
   * Masks the values of secret-named parameters. The search goes on right after each {@code =}, so
   * a parameter nested in another one's value (an encoded URL in a query) is found too.
   */
  private static String maskParameters(String text) {
    Matcher m = PARAMETER.matcher(text);
    StringBuilder out = null;
    int last = 0;
    int from = 0;
    while (from < text.length() && m.find(from)) {
      from = m.end();
      if (!secretName(m.group(1))) {
        continue;
      }
      int end = m.end();
      while (end < text.length()
          && "&;\"'#".indexOf(text.charAt(end)) < 0
          && !Character.isWhitespace(text.charAt(end))) {
        end++;
      }
      if (out == null) {
        out = new StringBuilder(text.length());
      }
      out.append(text, last, m.end()).append(MASK);
      last = end;
      from = end;
    }
    return out == null ? text : out.append(text, last, text.length()).toString();
  }

  private static boolean secretName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.contains("password")
        || n.contains("passwd")
        || n.contains("pwd")
        || n.contains("secret")
        || n.contains("token");
  }

  private static String replace(Pattern p, String text, Function<Matcher, String> with) {
    Matcher m = p.matcher(text);
    if (!m.find()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int last = 0;
    boolean changed = false;
    do {
      String r = with.apply(m);
      changed |= !r.equals(m.group());
      out.append(text, last, m.start()).append(r);
      last = m.end();
    } while (m.find());
    return changed ? out.append(text, last, text.length()).toString() : text;
  }
}
