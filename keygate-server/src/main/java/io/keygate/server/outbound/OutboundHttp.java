package io.keygate.server.outbound;

import io.keygate.core.request.IpAddresses;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.SocketAddressResolver;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * Keygate's HTTP client for calls to places users or operators name: owners' webhooks and secret
 * scanning partners' public keys. One instance per node (Jetty's {@link HttpClient} on a small
 * thread pool of its own).
 *
 * <p><b>Security guarantees.</b> Every connection goes to an address {@link AddressPolicy} permits:
 * host names are resolved by a resolver that drops refused addresses and fails when none is left,
 * so the address checked is the address connected to, on every new connection (a DNS answer that
 * changed since a URL was accepted — DNS rebinding — is caught here), and IP literals in any
 * spelling take the same path. Redirects are never followed (a 3xx is the answer) and no proxy is
 * used. TLS checks the certificate chain against the JDK's trust store and the host name. Each call
 * has a connect timeout and a total timeout; answers are discarded or read up to a bound.
 * Thread-safe.
 */
public final class OutboundHttp implements AutoCloseable {
  /** IPv4 written as four decimal numbers without leading zeros: the one unambiguous spelling. */
  private static final Pattern CANONICAL_IPV4 =
      Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");

  /** A host whose last label is a number is an IPv4 literal to URL parsers (WHATWG), not a name. */
  private static final Pattern NUMERIC_LAST_LABEL =
      Pattern.compile("(?i)(?:^|.*\\.)(?:[0-9]+|0x[0-9a-f]*)\\.?$");

  private static final int THREADS = 8;
  private static final int LOOKUP_THREADS = 4;

  /** The result of {@link #check}: the URL may be called, may not, or its host has no address. */
  public sealed interface UrlCheck permits Permitted, Refused, Unresolved {}

  /** Every address the host has now is permitted. */
  public record Permitted() implements UrlCheck {}

  /**
   * The URL may not be called.
   *
   * @param reason for the caller, e.g. {@code "points at a non-public (loopback) address"} for an
   *     IP literal; for a host name only {@link #NAME_REFUSED}'s, which names neither the address
   *     nor its kind (a caller cannot map the internal DNS through it)
   */
  public record Refused(String reason) implements UrlCheck {}

  /**
   * The answer for a host name with a refused address among those it resolves to; worded so that it
   * also fits a name that does not resolve, which callers facing tenants answer the same way.
   */
  public static final Refused NAME_REFUSED =
      new Refused("has a host name that does not resolve to public addresses only");

  /** The host name resolves to no address now. */
  public record Unresolved() implements UrlCheck {}

  /**
   * A connection the policy refused: every address the host resolved to is refused. The message
   * names the host and the kinds of addresses, never the addresses.
   */
  public static final class AddressRefused extends IOException {
    AddressRefused(String message) {
      super(message);
    }
  }

  private final AddressPolicy policy;
  private final SocketAddressResolver lookups;
  private final ExecutorService lookupThreads;
  private final Duration connectTimeout;
  private final HttpClient client;

  private OutboundHttp(
      AddressPolicy policy,
      SocketAddressResolver lookups,
      ExecutorService lookupThreads,
      Duration connectTimeout,
      HttpClient client) {
    this.policy = policy;
    this.lookups = lookups;
    this.lookupThreads = lookupThreads;
    this.connectTimeout = connectTimeout;
    this.client = client;
  }

  /**
   * Starts a client.
   *
   * @param dns how host names are resolved, or {@code null} for the system resolver (tests pass one
   *     that maps names to chosen addresses)
   */
  public static OutboundHttp start(
      AddressPolicy policy, Duration connectTimeout, SocketAddressResolver dns) {
    QueuedThreadPool threads = new QueuedThreadPool(THREADS, 1);
    threads.setName("keygate-outbound");
    threads.setDaemon(true);
    ScheduledExecutorScheduler scheduler =
        new ScheduledExecutorScheduler("keygate-outbound-timer", true);
    SocketAddressResolver resolver =
        dns != null
            ? dns
            : new SocketAddressResolver.Async(threads, scheduler, connectTimeout.toMillis());
    // URL checks (owners' requests) resolve on threads of their own: a flood of slow names can
    // neither hold request threads long nor take the threads deliveries use.
    AtomicInteger n = new AtomicInteger();
    ExecutorService lookupThreads =
        new ThreadPoolExecutor(
            0,
            LOOKUP_THREADS,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "keygate-url-check-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    SocketAddressResolver lookups =
        dns != null
            ? dns
            : new SocketAddressResolver.Async(lookupThreads, scheduler, connectTimeout.toMillis());
    SslContextFactory.Client tls = new SslContextFactory.Client(false);
    tls.setEndpointIdentificationAlgorithm("HTTPS");
    ClientConnector connector = new ClientConnector();
    connector.setSslContextFactory(tls);
    HttpClient client = new HttpClient(new HttpClientTransportOverHTTP(connector));
    client.setExecutor(threads);
    client.setScheduler(scheduler);
    client.setSocketAddressResolver(new Guarded(policy, resolver));
    client.setConnectTimeout(connectTimeout.toMillis());
    client.setFollowRedirects(false);
    client.setUserAgentField(null);
    try {
      client.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the outbound HTTP client", e);
    }
    return new OutboundHttp(policy, lookups, lookupThreads, connectTimeout, client);
  }

  /** The policy in force. */
  public AddressPolicy policy() {
    return policy;
  }

  /**
   * Whether {@code url} (an absolute http(s) URL with a host) may be called now: an IP literal must
   * be written canonically (four decimal numbers; IPv6 without a zone id) and be permitted; a host
   * name must resolve, and to permitted addresses only. Delivery checks again on every connection,
   * so this is the early, clear answer.
   */
  public UrlCheck check(URI url) {
    return check(List.of(url)).get(0);
  }

  /**
   * {@link #check(URI)} for several URLs at once: their names are resolved in parallel and the
   * whole check waits at most the connect timeout (plus a second), however many there are. A name
   * whose lookup did not finish in time, or could not start because every lookup thread is busy, is
   * {@link Unresolved}.
   */
  public List<UrlCheck> check(List<URI> urls) {
    List<CompletableFuture<UrlCheck>> pending = new ArrayList<>();
    for (URI u : urls) {
      pending.add(checkAsync(u));
    }
    long deadline = System.nanoTime() + connectTimeout.toNanos() + TimeUnit.SECONDS.toNanos(1);
    List<UrlCheck> out = new ArrayList<>();
    for (CompletableFuture<UrlCheck> f : pending) {
      try {
        out.add(f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (ExecutionException | TimeoutException e) {
        out.add(new Unresolved());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        out.add(new Unresolved());
      }
    }
    return out;
  }

  private CompletableFuture<UrlCheck> checkAsync(URI url) {
    String host = url.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.indexOf(':') >= 0) {
      if (host.indexOf('%') >= 0) {
        return CompletableFuture.completedFuture(new Refused("is an IPv6 address with a zone id"));
      }
      byte[] bytes = IpAddresses.parseStrict(host);
      return CompletableFuture.completedFuture(
          bytes == null ? new Refused("is not a valid IPv6 address") : literal(bytes));
    }
    if (NUMERIC_LAST_LABEL.matcher(host).matches()) {
      boolean canonical = CANONICAL_IPV4.matcher(host).matches() && IpAddresses.ipv4(host) >= 0;
      return CompletableFuture.completedFuture(
          canonical
              ? literal(IpAddresses.parseStrict(host))
              : new Refused(
                  "is an IP address in an ambiguous spelling; write it as four decimal numbers"
                      + " a.b.c.d"));
    }
    CompletableFuture<List<InetSocketAddress>> resolved = new CompletableFuture<>();
    try {
      lookups.resolve(host.toLowerCase(Locale.ROOT), 443, new HashMap<>(), Promise.from(resolved));
    } catch (RejectedExecutionException busy) {
      return CompletableFuture.completedFuture(new Unresolved());
    }
    return resolved.handle(
        (addresses, failure) -> {
          List<InetAddress> found = new ArrayList<>();
          for (InetSocketAddress a : failure != null ? List.<InetSocketAddress>of() : addresses) {
            if (a.getAddress() != null) {
              found.add(a.getAddress());
            }
          }
          if (found.isEmpty()) {
            return new Unresolved();
          }
          return refusal(found).isPresent() ? NAME_REFUSED : new Permitted();
        });
  }

  /** The policy's answer for an IP literal, naming the kind of a refused address. */
  private UrlCheck literal(byte[] bytes) {
    return refusal(List.of(address(bytes)))
        .<UrlCheck>map(kind -> new Refused("points at a non-public (" + kind + ") address"))
        .orElseGet(Permitted::new);
  }

  private Optional<String> refusal(List<InetAddress> addresses) {
    for (InetAddress a : addresses) {
      Optional<String> why = policy.refusal(a);
      if (why.isPresent()) {
        return why;
      }
    }
    return Optional.empty();
  }

  private static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("a literal's bytes are always an address", e);
    }
  }

  /**
   * POSTs {@code body} and returns the answer's status; the answer's body is discarded.
   *
   * @param timeout bounds the whole exchange, connecting included
   * @throws AddressRefused when the host has no permitted address
   * @throws IOException on any other failure (connect, timeout, TLS, reset)
   */
  public int post(URI url, Map<String, String> headers, byte[] body, Duration timeout)
      throws IOException, InterruptedException {
    String type = headers.getOrDefault("Content-Type", "application/octet-stream");
    Request r =
        request(url, HttpMethod.POST, headers, timeout).body(new BytesRequestContent(type, body));
    CompletableFuture<Integer> status = new CompletableFuture<>();
    r.send(
        result -> {
          if (result.isSucceeded()) {
            status.complete(result.getResponse().getStatus());
          } else {
            status.completeExceptionally(result.getFailure());
          }
        });
    try {
      return status.get();
    } catch (ExecutionException e) {
      throw failure(e.getCause());
    } catch (InterruptedException e) {
      r.abort(e);
      throw e;
    }
  }

  /**
   * GETs {@code url}; completes with the body of a 200 answer of at most {@code maxBytes}, or
   * exceptionally ({@link AddressRefused}, an {@link IOException} for any other status or fault).
   */
  public CompletableFuture<byte[]> get(
      URI url, Map<String, String> headers, int maxBytes, Duration timeout) {
    Request r = request(url, HttpMethod.GET, headers, timeout);
    return new CompletableResponseListener(r, maxBytes)
        .send()
        .handle(
            (resp, error) -> {
              if (error != null) {
                throw new CompletionException(failure(error));
              }
              if (resp.getStatus() != 200) {
                throw new CompletionException(new IOException("HTTP " + resp.getStatus()));
              }
              return resp.getContent();
            });
  }

  private Request request(URI url, HttpMethod method, Map<String, String> headers, Duration t) {
    return client
        .newRequest(url)
        .method(method)
        .timeout(t.toMillis(), TimeUnit.MILLISECONDS)
        .idleTimeout(t.toMillis(), TimeUnit.MILLISECONDS)
        .headers(h -> headers.forEach(h::put));
  }

  /** The cause worth reporting: the policy's refusal as is, anything else as an IOException. */
  private static IOException failure(Throwable t) {
    Throwable c = t;
    while (c instanceof CompletionException || c instanceof ExecutionException) {
      c = c.getCause();
    }
    for (Throwable x = c; x != null; x = x.getCause()) {
      if (x instanceof AddressRefused refused) {
        return refused;
      }
    }
    if (c instanceof IOException io) {
      return io;
    }
    return new IOException(c.getClass().getSimpleName() + ": " + c.getMessage(), c);
  }

  @Override
  public void close() {
    lookupThreads.shutdownNow();
    try {
      client.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the outbound HTTP client", e);
    }
  }

  /** Resolves with {@code dns}, then keeps only the addresses {@code policy} permits. */
  private record Guarded(AddressPolicy policy, SocketAddressResolver dns)
      implements SocketAddressResolver {
    @Override
    public void resolve(
        String host,
        int port,
        Map<String, Object> context,
        Promise<List<InetSocketAddress>> promise) {
      dns.resolve(
          host,
          port,
          context,
          Promise.from(
              addresses -> {
                List<InetSocketAddress> permitted = new ArrayList<>();
                List<String> refused = new ArrayList<>();
                for (InetSocketAddress a : addresses) {
                  Optional<String> why =
                      a.getAddress() == null
                          ? Optional.of("unresolved")
                          : policy.refusal(a.getAddress());
                  if (why.isEmpty()) {
                    permitted.add(a);
                  } else if (!refused.contains(why.get())) {
                    refused.add(why.get());
                  }
                }
                if (permitted.isEmpty()) {
                  promise.failed(
                      new AddressRefused(
                          "refused: "
                              + host
                              + " has only "
                              + String.join("/", refused)
                              + " addresses, which outbound calls may not reach"
                              + " (KEYGATE_WEBHOOK_ALLOWED_NETWORKS)"));
                } else {
                  promise.succeeded(permitted);
                }
              },
              promise::failed));
    }
  }
}
