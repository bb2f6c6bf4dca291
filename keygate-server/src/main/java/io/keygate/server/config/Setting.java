package io.keygate.server.config;

import io.keygate.core.SecretMasker;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One configuration setting: its environment variable, the {@code serve} flag that overrides it (if
 * any), how a value is parsed and validated, its default (a named constant of the record that uses
 * it), whether it is a secret, and its description for the README. {@link Settings} holds the table
 * of all of them; the config records read their values with {@link #from}.
 *
 * <p><b>Security guarantees.</b> A secret setting's value never appears in {@link #describe} (it is
 * shown as {@code ****}); every other value passes through {@link SecretMasker}, so passwords in
 * URLs are masked too. Parse errors name the variable and the value, never a secret's value.
 *
 * <p>Immutable and thread-safe when its functions are.
 *
 * @param variable environment variable, e.g. {@code KEYGATE_PORT}
 * @param flag {@code serve} flag that overrides it ({@code --port}), or {@code null}
 * @param defaultValue value when unset, or {@code null} when unset means "not configured"
 * @param unsetDoc README text for the default when it is not simply {@code defaultValue}
 *     (markdown), or {@code null} to derive it from {@code defaultValue}
 * @param parser parses a set, non-blank (stripped) value
 * @param format renders a value the way it is written in the variable
 * @param valid validation applied to every parsed value
 * @param requirement what {@code valid} requires, for the error ("be >= 1")
 * @param secret whether the value is a secret (never logged)
 * @param blankIsValue whether a blank value is parsed (e.g. an empty list) instead of meaning unset
 * @param description the README's "Meaning" column (markdown)
 * @param <T> the parsed type
 */
public record Setting<T>(
    String variable,
    String flag,
    T defaultValue,
    String unsetDoc,
    Parser<T> parser,
    Function<? super T, String> format,
    Predicate<? super T> valid,
    String requirement,
    boolean secret,
    boolean blankIsValue,
    String description) {

  /** Parses a value of a setting; throws {@link IllegalArgumentException} naming the variable. */
  @FunctionalInterface
  public interface Parser<T> {
    /**
     * @param variable the variable, for the error message
     * @param value the stripped value
     */
    T parse(String variable, String value);
  }

  /** Validates the entry itself. */
  public Setting {
    Objects.requireNonNull(variable, "variable");
    if (!variable.matches("KEYGATE_[A-Z0-9_]+")) {
      throw new IllegalArgumentException("setting variables are KEYGATE_*, was " + variable);
    }
    Objects.requireNonNull(parser, "parser");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(valid, "valid");
    Objects.requireNonNull(description, "description");
  }

  /** A text setting. */
  public static Setting<String> text(String variable, String dflt, String description) {
    return of(variable, dflt, (v, s) -> s, s -> s, description);
  }

  /** A secret text setting, unset by default; its value is never logged. */
  public static Setting<String> secretText(String variable, String description) {
    return text(variable, null, description).asSecret();
  }

  /** A filesystem path, unset by default. */
  public static Setting<Path> path(String variable, String description) {
    return of(variable, null, (v, s) -> Path.of(s), Path::toString, description);
  }

  /** A 32-bit integer. */
  public static Setting<Integer> integer(String variable, int dflt, String description) {
    return of(variable, dflt, Setting::parseInt, String::valueOf, description);
  }

  /** A 32-bit integer, unset (not configured) by default. */
  public static Setting<Integer> optionalInteger(String variable, String description) {
    return of(variable, null, Setting::parseInt, String::valueOf, description);
  }

  private static Integer parseInt(String variable, String value) {
    long n = Env.parseLong(variable, value);
    if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(variable + " is out of range, was '" + value + "'");
    }
    return (int) n;
  }

  /** A 64-bit integer. */
  public static Setting<Long> number(String variable, long dflt, String description) {
    return of(variable, dflt, Env::parseLong, String::valueOf, description);
  }

  /** A decimal number. */
  public static Setting<Double> decimal(String variable, double dflt, String description) {
    return of(
        variable,
        dflt,
        (v, s) -> {
          try {
            return Double.parseDouble(s);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(v + " must be a number, was '" + s + "'");
          }
        },
        d -> d == Math.rint(d) ? String.valueOf((long) (double) d) : String.valueOf(d),
        description);
  }

  /** {@code true} or {@code false} (any case). */
  public static Setting<Boolean> bool(String variable, boolean dflt, String description) {
    return of(
        variable,
        dflt,
        (v, s) ->
            switch (s.toLowerCase(Locale.ROOT)) {
              case "true" -> true;
              case "false" -> false;
              default ->
                  throw new IllegalArgumentException(v + " must be true or false, was '" + s + "'");
            },
        String::valueOf,
        description);
  }

  /** A duration written as a whole number of {@code unit}s (the variable's suffix says which). */
  public static Setting<Duration> duration(
      String variable, ChronoUnit unit, Duration dflt, String description) {
    return of(
        variable,
        dflt,
        (v, s) -> {
          try {
            return Duration.of(Env.parseLong(v, s), unit);
          } catch (ArithmeticException e) {
            throw new IllegalArgumentException(v + " is out of range, was '" + s + "'");
          }
        },
        d -> String.valueOf(d.dividedBy(unit.getDuration())),
        description);
  }

  /** A comma-separated list (blanks between commas dropped). */
  public static Setting<List<String>> list(String variable, List<String> dflt, String description) {
    return of(
        variable, dflt, (v, s) -> ServerConfig.splitList(s), l -> String.join(",", l), description);
  }

  /** A setting with its own syntax. */
  public static <T> Setting<T> of(
      String variable,
      T dflt,
      Parser<T> parser,
      Function<? super T, String> format,
      String description) {
    return new Setting<>(
        variable, null, dflt, null, parser, format, x -> true, null, false, false, description);
  }

  /** This setting, overridden by {@code serve}'s {@code flag}. */
  public Setting<T> flag(String newFlag) {
    Copy<T> c = new Copy<>(this);
    c.flag = newFlag;
    return c.build();
  }

  /** This setting, whose README default reads {@code markdown} instead of the default value. */
  public Setting<T> documentedDefault(String markdown) {
    Copy<T> c = new Copy<>(this);
    c.unsetDoc = markdown;
    return c.build();
  }

  /** This setting, marked secret. */
  public Setting<T> asSecret() {
    Copy<T> c = new Copy<>(this);
    c.secret = true;
    return c.build();
  }

  /** This setting, where a blank value is a value (an empty list), not "unset". */
  public Setting<T> blankMeansEmpty() {
    Copy<T> c = new Copy<>(this);
    c.blankIsValue = true;
    return c.build();
  }

  /**
   * This setting, whose values must also pass {@code test}; {@code what} completes "must …" in the
   * error, e.g. {@code ">= 1"}.
   */
  public Setting<T> check(Predicate<? super T> test, String what) {
    Predicate<? super T> before = valid;
    Copy<T> c = new Copy<>(this);
    c.valid = x -> before.test(x) && test.test(x);
    c.requirement = requirement == null ? what : requirement + " and " + what;
    return c.build();
  }

  /**
   * The components the modifiers above change, starting from a setting; the one place besides the
   * record header that lists every component, so each modifier names only what it changes. Used on
   * one thread, then dropped.
   */
  private static final class Copy<T> {
    private final Setting<T> from;
    private String flag;
    private String unsetDoc;
    private Predicate<? super T> valid;
    private String requirement;
    private boolean secret;
    private boolean blankIsValue;

    private Copy(Setting<T> from) {
      this.from = from;
      this.flag = from.flag;
      this.unsetDoc = from.unsetDoc;
      this.valid = from.valid;
      this.requirement = from.requirement;
      this.secret = from.secret;
      this.blankIsValue = from.blankIsValue;
    }

    private Setting<T> build() {
      return new Setting<>(
          from.variable,
          flag,
          from.defaultValue,
          unsetDoc,
          from.parser,
          from.format,
          valid,
          requirement,
          secret,
          blankIsValue,
          from.description);
    }
  }

  /**
   * The value in {@code env}: the default when unset (or blank, unless {@link #blankMeansEmpty}),
   * else the parsed value.
   *
   * @throws IllegalArgumentException naming the variable and what it must be
   */
  public T from(Map<String, String> env) {
    String raw = env.get(variable);
    if (raw == null || raw.isBlank() && !blankIsValue) {
      return defaultValue;
    }
    String s = raw.strip();
    T value;
    try {
      value = parser.parse(variable, s);
    } catch (IllegalArgumentException e) {
      if (secret) { // the parser's message may quote the value
        throw new IllegalArgumentException(variable + " is not valid (value not shown: a secret)");
      }
      throw e;
    }
    if (!valid.test(value)) {
      throw new IllegalArgumentException(
          variable + " must be " + requirement + ", was '" + (secret ? "****" : s) + "'");
    }
    return value;
  }

  /** Whether {@code env} sets this variable (non-blank, or blank where that is a value). */
  public boolean isSet(Map<String, String> env) {
    String raw = env.get(variable);
    return raw != null && (blankIsValue || !raw.isBlank());
  }

  /**
   * The effective value in {@code env} for the startup log: secrets as {@code ****}, an unset
   * optional setting as {@code unset} (with what that means, e.g. {@code unset: <data
   * dir>/pepper}).
   */
  public String describe(Map<String, String> env) {
    T value = from(env);
    if (value == null) {
      return unsetDoc == null ? "unset" : "unset: " + unsetDoc.replace("`", "");
    }
    if (secret) {
      return "****";
    }
    return SecretMasker.mask(format.apply(value));
  }

  /** The README's default column for this setting (markdown). */
  public String defaultDoc() {
    if (unsetDoc != null) {
      return unsetDoc;
    }
    if (defaultValue == null) {
      return "—";
    }
    String f = format.apply(defaultValue);
    return f.isEmpty() ? "empty" : "`" + f + "`";
  }

  /**
   * Puts {@code value} into {@code env} under this setting's variable, unless it is {@code null}:
   * how a command-line flag overrides the environment, so the flag's value is parsed, validated and
   * logged exactly like the variable's.
   */
  public void overlay(Map<String, String> env, T value) {
    if (value != null) {
      env.put(variable, format.apply(value));
    }
  }
}
