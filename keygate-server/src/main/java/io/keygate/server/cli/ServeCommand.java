package io.keygate.server.cli;

import io.keygate.server.KeygateServer;
import io.keygate.server.config.EnforcementConfig;
import io.keygate.server.config.GrpcConfig;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.ServerConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code keygate serve}: runs the server until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Start the Keygate server.")
final class ServeCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

  @Option(names = "--port", description = "TCP port (default: $KEYGATE_PORT or 8080).")
  Integer port;

  @Option(
      names = "--host",
      description = "Interface to bind (default: $KEYGATE_HOST or 127.0.0.1; 0.0.0.0 exposes it).")
  String host;

  @Mixin StorageOptions storage = new StorageOptions();

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig env = ServerConfig.fromEnv(System.getenv());
    ServerConfig cfg =
        storage
            .apply(env)
            .withNetwork(host != null ? host : env.host(), port != null ? port : env.port());
    LOG.info("effective configuration: {}", cfg.describe());
    io.keygate.server.config.TlsConfig tls =
        io.keygate.server.config.TlsConfig.fromEnv(System.getenv());
    LOG.info("tls: {}", tls.describe());
    String warning = plainHttpWarning(cfg.host(), tls.enabled());
    if (warning != null) {
      LOG.warn(warning);
    }
    LeakConfig leaks = LeakConfig.fromEnv(System.getenv());
    LOG.info("leak response: {}", leaks.describe());
    NotifyConfig notify = NotifyConfig.fromEnv(System.getenv());
    LOG.info("notifications and monitoring: {}", notify.describe(cfg.dataDir()));
    io.keygate.server.config.ClusterConfig cluster =
        io.keygate.server.config.ClusterConfig.fromEnv(System.getenv());
    LOG.info("scale-out: {}", cluster.describe());
    io.keygate.server.config.SecretsConfig secrets =
        io.keygate.server.config.SecretsConfig.fromEnv(System.getenv());
    LOG.info("secrets: {}", secrets.describe(cfg.dataDir()));
    io.keygate.server.config.OutboundConfig outbound =
        io.keygate.server.config.OutboundConfig.fromEnv(System.getenv());
    LOG.info("outbound calls: {}", outbound.describe());
    io.keygate.server.config.ReadDeadlines deadlines =
        io.keygate.server.config.ReadDeadlines.fromEnv(System.getenv());
    LOG.info("read deadlines: {}", deadlines.describe());
    GrpcConfig grpc = GrpcConfig.fromEnv(System.getenv());
    LOG.info("envoy ext_authz: {}", grpc.describe(cfg.host()));
    if (grpc.enabled() && !isLoopback(grpc.effectiveHost(cfg.host()))) {
      LOG.warn(
          "the Envoy ext_authz gRPC port is plaintext on {}: keep it on a private network next to"
              + " Envoy, or behind a mesh that adds mTLS",
          grpc.effectiveHost(cfg.host()));
    }
    KeygateServer server =
        KeygateServer.builder()
            .cluster(cluster)
            .secrets(secrets)
            .outbound(outbound)
            .readDeadlines(deadlines)
            .grpc(grpc)
            .tls(tls)
            .config(cfg)
            .leaks(leaks)
            .notifyConfig(notify)
            .enforcement(EnforcementConfig.fromEnv(System.getenv()))
            .build();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("shutting down");
                  server.close();
                  stopped.countDown();
                },
                "keygate-shutdown"));
    server.start();
    stopped.await();
    return 0;
  }

  /**
   * The startup warning for admin endpoints served over plain HTTP beyond loopback, or {@code null}
   * when TLS is on or the server binds only to loopback.
   */
  static String plainHttpWarning(String host, boolean tls) {
    if (tls || isLoopback(host)) {
      return null;
    }
    return "SECURITY WARNING: admin endpoints are served over plain HTTP on "
        + host
        + " — set KEYGATE_TLS_CERT/KEYGATE_TLS_KEY (or KEYGATE_TLS_KEYSTORE) or put Keygate behind"
        + " TLS (a reverse proxy) before exposing it beyond this machine";
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
  }
}
