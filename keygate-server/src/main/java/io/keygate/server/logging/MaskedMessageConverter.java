package io.keygate.server.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.keygate.core.SecretMasker;

/**
 * {@code %maskedMsg}: the formatted message with every secret masked ({@link SecretMasker}: keys,
 * URL passwords, secret parameters).
 */
public final class MaskedMessageConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return SecretMasker.mask(event.getFormattedMessage());
  }
}
