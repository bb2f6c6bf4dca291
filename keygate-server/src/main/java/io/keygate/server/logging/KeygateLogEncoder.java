package io.keygate.server.logging;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.keygate.core.SecretMasker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * Keygate's log encoder: {@code format=text} (default) writes lines with a pattern whose message
 * and exception are masked ({@code %maskedMsg}, {@code %maskedEx}); {@code format=json} writes one
 * JSON object per line ({@code ts, level, logger, thread, message, mdc, exception}), message and
 * exception masked by {@link SecretMasker} (keys, URL passwords, secret parameters). Configured
 * from {@code KEYGATE_LOG_FORMAT} in logback.xml. Thread-safe once started.
 */
public final class KeygateLogEncoder extends EncoderBase<ILoggingEvent> {
  private static final JsonFactory JSON = new JsonFactory();

  private String format = "text";
  private String pattern = "%d %-5level [%thread] %logger{20} - %maskedMsg%n%maskedEx";
  private PatternLayout layout;

  /** {@code text} or {@code json} (case-insensitive). */
  public void setFormat(String f) {
    this.format = f == null ? "text" : f.strip().toLowerCase(Locale.ROOT);
  }

  /** The text pattern. */
  public void setPattern(String p) {
    this.pattern = p;
  }

  @Override
  public void start() {
    if (!format.equals("json") && !format.equals("text")) {
      addWarn("KEYGATE_LOG_FORMAT must be text or json, was '" + format + "'; using text");
      format = "text";
    }
    if (format.equals("text")) {
      layout = new PatternLayout();
      layout.setContext(getContext());
      layout.getInstanceConverterMap().put("maskedMsg", MaskedMessageConverter::new);
      layout.getInstanceConverterMap().put("maskedEx", MaskedThrowableConverter::new);
      layout.setPattern(pattern);
      layout.start();
    }
    super.start();
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    if (layout != null) {
      return layout.doLayout(event).getBytes(StandardCharsets.UTF_8);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("ts", Instant.ofEpochMilli(event.getTimeStamp()).toString());
      g.writeStringField("level", event.getLevel().toString());
      g.writeStringField("logger", event.getLoggerName());
      g.writeStringField("thread", event.getThreadName());
      g.writeStringField("message", SecretMasker.mask(event.getFormattedMessage()));
      Map<String, String> mdc = event.getMDCPropertyMap();
      if (mdc != null && !mdc.isEmpty()) {
        g.writeObjectFieldStart("mdc");
        for (Map.Entry<String, String> e : mdc.entrySet()) {
          g.writeStringField(e.getKey(), SecretMasker.mask(e.getValue()));
        }
        g.writeEndObject();
      }
      IThrowableProxy t = event.getThrowableProxy();
      if (t != null) {
        g.writeStringField("exception", SecretMasker.mask(ThrowableProxyUtil.asString(t)));
      }
      g.writeEndObject();
    } catch (IOException e) {
      return ("{\"message\":\"log encoding failed\"}" + CoreConstants.LINE_SEPARATOR)
          .getBytes(StandardCharsets.UTF_8);
    }
    out.writeBytes(CoreConstants.LINE_SEPARATOR.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }
}
