package io.keygate.spring;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Spring module's one JSON mapper: the error bodies the filter writes and the {@code
 * /v1/verify} calls and answers of {@link RemoteKeyVerifier}. Jackson's defaults, kept apart from
 * the application's own (possibly customised) mapper so that an application setting cannot change
 * Keygate's wire format. Thread-safe; never reconfigured after this class is loaded.
 */
final class SpringJson {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private SpringJson() {}
}
