package io.keygate.server.testing;

import io.keygate.core.request.IpAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.SocketAddressResolver;

/**
 * A name service for outbound calls in tests: names map to the addresses a test sets (and may
 * change between lookups, as a DNS rebinding attacker's do); IP literals resolve to themselves; any
 * other name does not resolve. Counts lookups per name. Thread-safe.
 */
public final class FakeDns implements SocketAddressResolver {
  private final Map<String, List<String>> names = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();

  /** From now on {@code name} resolves to {@code addresses} (IP literals). */
  public FakeDns set(String name, String... addresses) {
    names.put(name.toLowerCase(Locale.ROOT), List.of(addresses));
    return this;
  }

  /** How often {@code name} was looked up. */
  public int lookups(String name) {
    AtomicInteger n = lookups.get(name.toLowerCase(Locale.ROOT));
    return n == null ? 0 : n.get();
  }

  @Override
  public void resolve(
      String host, int port, Map<String, Object> context, Promise<List<InetSocketAddress>> p) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    lookups.computeIfAbsent(h, k -> new AtomicInteger()).incrementAndGet();
    List<String> literals = names.get(h);
    if (literals == null) {
      literals = IpAddresses.parseStrict(h) != null ? List.of(h) : List.of();
    }
    try {
      List<InetSocketAddress> out = new ArrayList<>();
      for (String a : literals) {
        out.add(
            new InetSocketAddress(InetAddress.getByAddress(h, IpAddresses.parseStrict(a)), port));
      }
      if (out.isEmpty()) {
        p.failed(new UnknownHostException(host));
      } else {
        p.succeeded(out);
      }
    } catch (UnknownHostException e) {
      p.failed(e);
    }
  }
}
