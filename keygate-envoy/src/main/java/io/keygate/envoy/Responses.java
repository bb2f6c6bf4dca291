package io.keygate.envoy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.rpc.Code;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.keygate.core.verify.GatewayAnswer;
import io.keygate.core.verify.Verification;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code CheckResponse}s from {@link GatewayAnswer}s: access as {@code OkHttpResponse} (identity
 * headers set on the upstream request, replacing the client's; identity headers the answer lacks
 * removed; limit headers also added to the client's response), refusal as {@code
 * DeniedHttpResponse} with the answer's status, headers and a small JSON body ({@code
 * {"error":code,"message":...}}, as {@code /v1/authz} sends).
 */
final class Responses {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Responses() {}

  /** The response for a verification. */
  static CheckResponse of(Verification v) {
    GatewayAnswer a = GatewayAnswer.of(v);
    if (v instanceof Verification.Rejected r) {
      return denied(a, r.outcome().code(), r.message());
    }
    OkHttpResponse.Builder ok = OkHttpResponse.newBuilder();
    for (GatewayAnswer.Header h : a.headers()) {
      ok.addHeaders(header(h.name(), h.value()));
      if (!h.identity()) {
        ok.addResponseHeadersToAdd(header(h.name(), h.value()));
      }
    }
    for (String name : GatewayAnswer.IDENTITY_HEADERS) {
      if (a.header(name) == null) {
        ok.addHeadersToRemove(name.toLowerCase(Locale.ROOT));
      }
    }
    return CheckResponse.newBuilder()
        .setStatus(Status.newBuilder().setCode(Code.OK_VALUE))
        .setOkResponse(ok)
        .build();
  }

  /**
   * A refusal that is not a verification's outcome (bad check, store fault): {@code status} with
   * {@code X-Keygate-Error: code} and, when {@code retryAfterSeconds > 0}, {@code Retry-After}.
   */
  static CheckResponse refused(int status, String code, String message, long retryAfterSeconds) {
    List<GatewayAnswer.Header> headers =
        retryAfterSeconds > 0
            ? List.of(
                new GatewayAnswer.Header("Retry-After", Long.toString(retryAfterSeconds), false),
                new GatewayAnswer.Header(GatewayAnswer.ERROR, code, false))
            : List.of(new GatewayAnswer.Header(GatewayAnswer.ERROR, code, false));
    return denied(new GatewayAnswer(status, headers), code, message);
  }

  private static CheckResponse denied(GatewayAnswer a, String code, String message) {
    DeniedHttpResponse.Builder d =
        DeniedHttpResponse.newBuilder()
            .setStatus(HttpStatus.newBuilder().setCodeValue(a.status()))
            .setBody(body(code, message));
    for (GatewayAnswer.Header h : a.headers()) {
      d.addHeaders(header(h.name(), h.value()));
    }
    d.addHeaders(header("Content-Type", "application/json"));
    return CheckResponse.newBuilder()
        .setStatus(Status.newBuilder().setCode(grpcCode(a.status())).setMessage(code))
        .setDeniedResponse(d)
        .build();
  }

  /** The gRPC code Envoy logs for a refusal; any code but OK denies. */
  private static int grpcCode(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> Code.INVALID_ARGUMENT_VALUE;
      case 401 -> Code.UNAUTHENTICATED_VALUE;
      case 429 -> Code.RESOURCE_EXHAUSTED_VALUE;
      case 503 -> Code.UNAVAILABLE_VALUE;
      case 500 -> Code.INTERNAL_VALUE;
      default -> Code.PERMISSION_DENIED_VALUE;
    };
  }

  private static HeaderValueOption header(String name, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }

  private static String body(String code, String message) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("error", code);
    if (message != null) {
      m.put("message", message);
    }
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
