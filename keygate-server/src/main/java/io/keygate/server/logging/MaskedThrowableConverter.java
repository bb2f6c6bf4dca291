package io.keygate.server.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/** {@code %maskedEx}: the stack trace with every key-shaped string in it masked. */
public final class MaskedThrowableConverter extends ThrowableProxyConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return KeyMasker.mask(super.convert(event));
  }
}
