package io.keygate.server.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/** {@code %maskedMsg}: the formatted message with every key-shaped string masked. */
public final class MaskedMessageConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return KeyMasker.mask(event.getFormattedMessage());
  }
}
