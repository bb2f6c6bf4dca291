package io.keygate.server.testing;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A real gRPC client of a Keygate node's Envoy ext_authz service (plaintext, loopback), sending
 * {@code CheckRequest}s shaped as Envoy sends them (lower-case header names, the client's address
 * as {@code attributes.source}, route settings as {@code context_extensions}).
 */
public final class EnvoyClient implements AutoCloseable {
  private final ManagedChannel channel;
  private final AuthorizationGrpc.AuthorizationBlockingStub stub;

  /** Connects to {@code 127.0.0.1:port}. */
  public EnvoyClient(int port) {
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    this.stub = AuthorizationGrpc.newBlockingStub(channel);
  }

  /** Sends {@code request} and returns Envoy's view of the answer. */
  public Answer check(CheckRequest request) {
    return Answer.of(stub.withDeadlineAfter(30, TimeUnit.SECONDS).check(request));
  }

  /** A builder of a check of {@code method} {@code path} from client {@code sourceIp}. */
  public static Check request(String method, String path, String sourceIp) {
    return new Check(method, path, sourceIp);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A {@code CheckRequest} under construction. */
  public static final class Check {
    private final AttributeContext.HttpRequest.Builder http =
        AttributeContext.HttpRequest.newBuilder();
    private final AttributeContext.Builder attributes = AttributeContext.newBuilder();

    private Check(String method, String path, String sourceIp) {
      if (method != null) {
        http.setMethod(method);
      }
      if (path != null) {
        http.setPath(path);
      }
      http.putHeaders(":authority", "api.example.com").putHeaders("user-agent", "envoy-test");
      if (sourceIp != null) {
        attributes.setSource(
            AttributeContext.Peer.newBuilder()
                .setAddress(
                    Address.newBuilder()
                        .setSocketAddress(
                            SocketAddress.newBuilder().setAddress(sourceIp).setPortValue(40000))));
      }
    }

    /** Adds a header to the {@code headers} map (name lower-cased, as Envoy does). */
    public Check header(String name, String value) {
      http.putHeaders(name.toLowerCase(Locale.ROOT), value);
      return this;
    }

    /** Adds a header to {@code header_map} as raw bytes ({@code encode_raw_headers}). */
    public Check rawHeader(String name, byte[] value) {
      HeaderMap.Builder m = http.getHeaderMap().toBuilder();
      m.addHeaders(HeaderValue.newBuilder().setKey(name).setRawValue(ByteString.copyFrom(value)));
      http.setHeaderMap(m);
      return this;
    }

    /** Sets the separate {@code query} field (Envoy also leaves the query in the path). */
    public Check query(String q) {
      http.setQuery(q);
      return this;
    }

    /** Adds a route setting ({@code context_extensions}). */
    public Check setting(String name, String value) {
      attributes.putContextExtensions(name, value);
      return this;
    }

    /** The request. */
    public CheckRequest build() {
      return CheckRequest.newBuilder()
          .setAttributes(
              attributes.setRequest(AttributeContext.Request.newBuilder().setHttp(http)).build())
          .build();
    }
  }

  /**
   * What Envoy does with an answer.
   *
   * @param allowed whether the request goes on to the upstream
   * @param grpcCode the {@code google.rpc.Code} of the answer's status
   * @param status the HTTP status (200 when allowed)
   * @param headers on access the headers set on the upstream request, on refusal those of the
   *     client's answer (names as sent)
   * @param removed header names removed from the upstream request
   * @param clientHeaders on access the headers added to the client's response
   * @param overwrite whether every header replaces one of the same name
   * @param body the refusal's body, or empty
   */
  public record Answer(
      boolean allowed,
      int grpcCode,
      int status,
      Map<String, String> headers,
      List<String> removed,
      Map<String, String> clientHeaders,
      boolean overwrite,
      String body) {
    static Answer of(CheckResponse r) {
      Map<String, String> headers = new LinkedHashMap<>();
      Map<String, String> client = new LinkedHashMap<>();
      boolean overwrite = true;
      List<HeaderValueOption> sent =
          r.hasOkResponse() ? r.getOkResponse().getHeadersList() : List.of();
      if (r.hasDeniedResponse()) {
        sent = r.getDeniedResponse().getHeadersList();
      }
      for (HeaderValueOption h : sent) {
        headers.put(h.getHeader().getKey(), h.getHeader().getValue());
        overwrite &=
            h.getAppendAction() == HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
      }
      for (HeaderValueOption h : r.getOkResponse().getResponseHeadersToAddList()) {
        client.put(h.getHeader().getKey(), h.getHeader().getValue());
      }
      boolean allowed = r.getStatus().getCode() == 0;
      return new Answer(
          allowed,
          r.getStatus().getCode(),
          allowed ? 200 : r.getDeniedResponse().getStatus().getCodeValue(),
          headers,
          r.getOkResponse().getHeadersToRemoveList(),
          client,
          overwrite,
          r.getDeniedResponse().getBody());
    }

    /** The value of header {@code name} (any case), or null. */
    public String header(String name) {
      Map<String, String> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      m.putAll(headers);
      return m.get(name);
    }
  }
}
