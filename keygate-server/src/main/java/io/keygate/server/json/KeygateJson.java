package io.keygate.server.json;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.module.blackbird.BlackbirdModule;

/**
 * The server's one JSON configuration: every part of {@code keygate-server} (HTTP bodies, webhook
 * and mail bodies, owner channels, the security report, the CLI's API client) reads and writes JSON
 * through {@link #MAPPER}. snake_case, strict on input (unknown fields, duplicate fields, wrong
 * types and coercions are errors; nesting at most 32 levels, strings at most 64 KiB), ISO-8601
 * instants, Blackbird's generated accessors instead of reflective calls. {@code
 * io.keygate.server.http.Json} turns its errors into 400 answers that never echo the input.
 *
 * <p>Thread-safe: configured once here and never changed afterwards; pretty output goes through
 * {@code MAPPER.writerWithDefaultPrettyPrinter()}, not a second mapper.
 */
public final class KeygateJson {
  /** The shared, thread-safe mapper. */
  public static final ObjectMapper MAPPER = build();

  private KeygateJson() {}

  private static ObjectMapper build() {
    JsonMapper m =
        JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .addModule(new JavaTimeModule())
            .addModule(new BlackbirdModule())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();
    m.coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    m.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(32).maxStringLength(65_536).build());
    return m;
  }
}
