package io.keygate.server.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.LoggerFactory;

/**
 * Captures everything logged (Keygate's own loggers at DEBUG) until closed, for tests that scan the
 * server's log output, e.g. for raw keys. Closing detaches the capture and restores Keygate's log
 * level; what was captured stays readable.
 */
public final class LogCapture implements AutoCloseable {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final Logger root;
  private final Logger keygateLogger;
  private final Level previous;
  private final OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();

  private LogCapture() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    keygateLogger = ctx.getLogger("io.keygate");
    previous = keygateLogger.getLevel();
    PatternLayoutEncoder enc = new PatternLayoutEncoder();
    enc.setContext(ctx);
    enc.setPattern("%d %-5level [%thread] %logger - %msg%n%ex");
    enc.start();
    appender.setContext(ctx);
    appender.setEncoder(enc);
    appender.setOutputStream(bytes);
    appender.start();
  }

  /** Starts capturing the root logger's output, with Keygate's loggers at DEBUG. */
  public static LogCapture start() {
    LogCapture c = new LogCapture();
    c.root.addAppender(c.appender);
    c.keygateLogger.setLevel(Level.DEBUG);
    return c;
  }

  /** What was captured so far, as bytes. */
  public byte[] bytes() {
    return bytes.toByteArray();
  }

  /** What was captured so far, as UTF-8 text. */
  public String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    appender.stop();
    keygateLogger.setLevel(previous);
  }
}
