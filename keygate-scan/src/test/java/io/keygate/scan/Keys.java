package io.keygate.scan;

import io.keygate.core.key.Base62;
import io.keygate.core.key.Checksum;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import java.security.SecureRandom;
import java.util.Random;

/** Mints real keys and wrong-checksum look-alikes at test time; nothing is stored in the repo. */
final class Keys {
  static final KeyTypes TYPES = KeyTypes.defaults();
  static final KeyFormat FORMAT = new KeyFormat(TYPES, SecureRandom::new);
  private static final Random RANDOM = new Random(42);

  private Keys() {}

  static String real(KeyType type) {
    return FORMAT.generate(type).reveal();
  }

  static String real(String typeName) {
    return real(TYPES.byName(typeName).orElseThrow());
  }

  /** A real key with one checksum character changed. */
  static String badChecksum(KeyType type) {
    String key = real(type);
    int at = key.length() - 1 - RANDOM.nextInt(Checksum.LENGTH);
    return replace(key, at);
  }

  /** A real key with one body character changed (and so a checksum that no longer matches). */
  static String badBody(KeyType type) {
    while (true) {
      String key = real(type);
      int bodyAt = type.prefix().length();
      String changed = replace(key, bodyAt + RANDOM.nextInt(KeyFormat.BODY_LENGTH));
      if (FORMAT.identify(changed) == null) {
        return changed;
      }
    }
  }

  private static String replace(String key, int at) {
    char old = key.charAt(at);
    char c;
    do {
      c = Base62.ALPHABET.charAt(RANDOM.nextInt(62));
    } while (c == old);
    return key.substring(0, at) + c + key.substring(at + 1);
  }

  static String sha(String key) {
    return KeyHasher.sha256Hex(key);
  }
}
