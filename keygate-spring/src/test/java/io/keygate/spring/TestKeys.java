package io.keygate.spring;

import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import java.security.SecureRandom;

/** Well-formed keys minted at run time for tests; never stored anywhere. */
final class TestKeys {
  static final KeyFormat FORMAT = new KeyFormat(KeyTypes.defaults(), SecureRandom::new);

  private TestKeys() {}

  /** A fresh, well-formed {@code sk_live_} key with a correct checksum. */
  static String wellFormed() {
    return FORMAT.generate(FORMAT.types().byName(KeyTypes.DEFAULT).orElseThrow()).reveal();
  }
}
