package io.keygate.core.secret;

/** A secret that carries its version number (pepper, audit key, data key). */
public interface Versioned {
  /** The positive version number stored next to whatever was made under this secret. */
  int version();
}
