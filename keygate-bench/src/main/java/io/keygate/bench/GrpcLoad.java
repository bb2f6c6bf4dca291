package io.keygate.bench;

import com.sun.management.OperatingSystemMXBean;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A closed-loop load generator for Keygate's Envoy ext_authz gRPC service, the gRPC counterpart of
 * the wrk runs of {@code bench/http.sh}: {@code CONNECTIONS} HTTP/2 channels, each with {@code
 * STREAMS} checks in flight (each sent the moment the previous one is answered), for {@code
 * SECONDS}. The {@code CheckRequest}s (one per key of {@code KEYS_FILE}: {@code GET /api/data} with
 * {@code x-api-key}, from {@code 127.0.0.1}) are built once at start, as the wrk script formats its
 * requests once, so the client's cost per request is only sending and receiving.
 *
 * <p>Loads the service for 2 s first (this JVM starts cold), then measures. Prints one
 * tab-separated line: requests, requests/s, p50 ms, p99 ms (10 µs buckets up to 1 s), percent
 * denied, this client's CPU µs per request (process CPU time over the measured run). Run by {@code
 * bench/grpc.sh}:
 *
 * <pre>{@code
 * java -cp keygate-bench/target/benchmarks.jar io.keygate.bench.GrpcLoad \
 *     127.0.0.1 9191 keys.txt 5 2 16
 * }</pre>
 */
public final class GrpcLoad {
  private static final int BUCKET_NANOS = 10_000;
  private static final int BUCKETS = 100_000; // up to 1 s
  private static final long WARM_UP_SECONDS = 2;

  private GrpcLoad() {}

  /** {@code HOST PORT KEYS_FILE SECONDS CONNECTIONS STREAMS}. */
  public static void main(String[] args) throws Exception {
    if (args.length != 6) {
      System.err.println("usage: GrpcLoad HOST PORT KEYS_FILE SECONDS CONNECTIONS STREAMS");
      System.exit(2);
    }
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    List<String> keys = Files.readAllLines(Path.of(args[2]));
    long seconds = Long.parseLong(args[3]);
    int connections = Integer.parseInt(args[4]);
    int streams = Integer.parseInt(args[5]);
    CheckRequest[] requests = keys.stream().map(GrpcLoad::check).toArray(CheckRequest[]::new);

    ManagedChannel[] channels = new ManagedChannel[connections];
    AuthorizationGrpc.AuthorizationStub[] stubs =
        new AuthorizationGrpc.AuthorizationStub[connections];
    for (int c = 0; c < connections; c++) {
      channels[c] =
          NettyChannelBuilder.forAddress(host, port)
              .usePlaintext()
              .directExecutor()
              .flowControlWindow(1 << 20)
              .build();
      stubs[c] = AuthorizationGrpc.newStub(channels[c]);
    }
    // This JVM starts cold: load it first (connections, JIT), as wrk needs no warming.
    run(stubs, requests, WARM_UP_SECONDS, streams);
    String result = run(stubs, requests, seconds, streams);
    for (ManagedChannel ch : channels) {
      ch.shutdownNow();
    }
    System.out.println(result);
  }

  /** Runs the load for {@code seconds}; the tab-separated result line. */
  private static String run(
      AuthorizationGrpc.AuthorizationStub[] stubs,
      CheckRequest[] requests,
      long seconds,
      int streams)
      throws InterruptedException {
    AtomicLong sent = new AtomicLong();
    AtomicLong denied = new AtomicLong();
    AtomicLong answered = new AtomicLong();
    AtomicLongArray histogram = new AtomicLongArray(BUCKETS);
    CountDownLatch finished = new CountDownLatch(stubs.length * streams);
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    for (AuthorizationGrpc.AuthorizationStub stub : stubs) {
      for (int s = 0; s < streams; s++) {
        new Loop(stub, requests, end, sent, answered, denied, histogram, finished).next();
      }
    }
    finished.await();
    double elapsed = (System.nanoTime() - start) / 1e9;
    long cpu = os.getProcessCpuTime() - cpu0;
    long n = answered.get();
    return String.format(
        "%d\t%.0f\t%.2f\t%.2f\t%.0f\t%.1f",
        n,
        n / elapsed,
        percentile(histogram, n, 0.50),
        percentile(histogram, n, 0.99),
        n == 0 ? 0.0 : 100.0 * denied.get() / n,
        n == 0 ? Double.NaN : cpu / 1e3 / n);
  }

  private static CheckRequest check(String key) {
    AttributeContext.HttpRequest http =
        AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET")
            .setPath("/api/data")
            .putHeaders(":authority", "api.example.com")
            .putHeaders("x-api-key", key)
            .build();
    return CheckRequest.newBuilder()
        .setAttributes(
            AttributeContext.newBuilder()
                .setSource(
                    AttributeContext.Peer.newBuilder()
                        .setAddress(
                            Address.newBuilder()
                                .setSocketAddress(
                                    SocketAddress.newBuilder()
                                        .setAddress("127.0.0.1")
                                        .setPortValue(40000))))
                .setRequest(AttributeContext.Request.newBuilder().setHttp(http)))
        .build();
  }

  private static double percentile(AtomicLongArray h, long n, double p) {
    long target = (long) Math.ceil(n * p);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += h.get(i);
      if (seen >= target && target > 0) {
        return (i + 1) * BUCKET_NANOS / 1e6;
      }
    }
    return Double.NaN;
  }

  /** One in-flight check at a time, each sent when the previous one is answered. */
  private record Loop(
      AuthorizationGrpc.AuthorizationStub stub,
      CheckRequest[] requests,
      long end,
      AtomicLong sent,
      AtomicLong answered,
      AtomicLong denied,
      AtomicLongArray histogram,
      CountDownLatch finished) {
    void next() {
      long t0 = System.nanoTime();
      if (t0 >= end) {
        finished.countDown();
        return;
      }
      CheckRequest r = requests[(int) (sent.getAndIncrement() % requests.length)];
      stub.check(
          r,
          new StreamObserver<>() {
            @Override
            public void onNext(CheckResponse value) {
              if (value.getStatus().getCode() != 0) {
                denied.incrementAndGet();
              }
            }

            @Override
            public void onError(Throwable t) {
              System.err.println("check failed: " + t);
              finished.countDown();
            }

            @Override
            public void onCompleted() {
              long took = System.nanoTime() - t0;
              histogram.incrementAndGet((int) Math.min(BUCKETS - 1, took / BUCKET_NANOS));
              answered.incrementAndGet();
              next();
            }
          });
    }
  }
}
