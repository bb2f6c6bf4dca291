package io.keygate.envoy;

import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.stub.StreamObserver;
import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.request.ClientIpResolver;
import io.keygate.core.request.PresentedKey;
import io.keygate.core.request.RequestTarget;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Authorization/Check}: reads the original request from a {@code CheckRequest} and answers
 * with the verification's {@link io.keygate.core.verify.GatewayAnswer}, as {@code /v1/authz} does.
 *
 * <p>Design note: every path out of {@link #check} is a {@code CheckResponse}, denials included,
 * and never a gRPC error: Envoy's {@code failure_mode_allow} lets a request through on a call
 * error, so an error status would leave the choice to the gateway's configuration.
 */
final class CheckService extends AuthorizationGrpc.AuthorizationImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(CheckService.class);

  /** The code of a structurally bad {@code CheckRequest}. */
  static final String INVALID_CHECK = "invalid_check_request";

  /** Seconds after which a check refused for a store fault may be retried. */
  static final long STORE_RETRY_SECONDS = 5;

  private final Keygate kg;
  private final ClientIpResolver clientIp;

  CheckService(Keygate kg, ClientIpResolver clientIp) {
    this.kg = kg;
    this.clientIp = clientIp;
  }

  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> out) {
    out.onNext(answer(request, PeerInterceptor.PEER.get()));
    out.onCompleted();
  }

  /** The answer to {@code request} from gRPC peer {@code peer}; never throws. */
  CheckResponse answer(CheckRequest request, String peer) {
    try {
      return Responses.of(decide(request, peer));
    } catch (KeygateException.InvalidRequest e) {
      return Responses.refused(400, e.code(), e.getMessage(), 0);
    } catch (KeygateException.StoreUnavailable e) {
      LOG.error("store unavailable during an ext_authz check: {}", e.getMessage(), e.getCause());
      return Responses.refused(
          503, e.code(), "the store is unavailable, retry later", STORE_RETRY_SECONDS);
    } catch (KeygateException e) {
      LOG.error("ext_authz check failed: {}", e.getMessage());
      return Responses.refused(503, e.code(), e.getMessage(), STORE_RETRY_SECONDS);
    } catch (RuntimeException e) {
      LOG.error("unexpected error in an ext_authz check", e);
      return Responses.refused(
          500, "internal_error", "unexpected server error; see the server log", 0);
    }
  }

  private Verification decide(CheckRequest request, String peer) {
    AttributeContext a = request.getAttributes();
    if (!request.hasAttributes() || !a.hasRequest() || !a.getRequest().hasHttp()) {
      throw invalid("the check carries no HTTP request (attributes.request.http)");
    }
    AttributeContext.HttpRequest http = a.getRequest().getHttp();
    CheckHeaders headers = CheckHeaders.of(http);
    String method = CheckHeaders.field(http.getMethod(), "method");
    String path = CheckHeaders.field(http.getPath(), "path");
    String ip = client(a, headers, peer);
    String userAgent = headers.get("user-agent");
    ApiKeySecret leaked = RequestTarget.findKey(path, kg.format());
    if (leaked == null && !http.getQuery().isEmpty()) {
      leaked = RequestTarget.findKey("?" + http.getQuery(), kg.format());
    }
    if (leaked == null && !http.getFragment().isEmpty()) {
      leaked = RequestTarget.findKey("#" + http.getFragment(), kg.format());
    }
    if (leaked != null) {
      return kg.verifier().keyInUrl(leaked, ip, userAgent);
    }
    // Only the route's context extensions choose scopes and cost: the operator sets them in
    // Envoy's configuration, while every header of the check is the client's.
    Map<String, String> settings = a.getContextExtensionsMap();
    return kg.verifier()
        .verify(
            new VerifyRequest(
                PresentedKey.of(headers.get("x-api-key"), headers.get("authorization")),
                ip,
                split(settings.get("scopes")),
                method,
                path,
                split(settings.get("scopes_all")),
                VerifyRequest.parseCost(settings.get("cost")),
                userAgent));
  }

  /**
   * The client address: the gRPC peer, unless it is a trusted proxy (Envoy); then Envoy's source
   * address, read through {@code x-forwarded-for} by the same rules as HTTP forwarding headers.
   */
  private String client(AttributeContext a, CheckHeaders headers, String peer) {
    if (!clientIp.trusts(peer)) {
      return peer;
    }
    Address source = a.getSource().getAddress();
    if (!source.hasSocketAddress() || source.getSocketAddress().getAddress().isEmpty()) {
      throw invalid("the check names no client address (attributes.source.address)");
    }
    String ip =
        clientIp.resolve(source.getSocketAddress().getAddress(), name -> headers.lines(name));
    if (ip == null) {
      throw invalid("the client address (attributes.source.address) is not an IP address");
    }
    return ip;
  }

  private static List<String> split(String s) {
    List<String> out = new ArrayList<>();
    if (s != null) {
      for (String p : s.split(",")) {
        if (!p.isBlank()) {
          out.add(p.strip());
        }
      }
    }
    return out;
  }

  static KeygateException.InvalidRequest invalid(String message) {
    return new KeygateException.InvalidRequest(INVALID_CHECK, message);
  }
}
