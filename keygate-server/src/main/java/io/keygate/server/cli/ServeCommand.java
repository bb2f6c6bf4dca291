package io.keygate.server.cli;

import io.keygate.server.KeygateServer;
import io.keygate.server.config.ClusterConfig;
import io.keygate.server.config.EnforcementConfig;
import io.keygate.server.config.GrpcConfig;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.OutboundConfig;
import io.keygate.server.config.ReadDeadlines;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.config.Settings;
import io.keygate.server.config.TlsConfig;
import java.util.HashMap;
import java.util.Map;
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

  @Option(names = "--port", description = "TCP port (overrides $KEYGATE_PORT; default 8080).")
  Integer port;

  @Option(
      names = "--host",
      description = "Interface to bind (default: $KEYGATE_HOST or 127.0.0.1; 0.0.0.0 exposes it).")
  String host;

  @Mixin StorageOptions storage = new StorageOptions();

  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> env = new HashMap<>(System.getenv());
    Settings.HOST.overlay(env, host);
    Settings.PORT.overlay(env, port);
    storage.overlay(env);
    LOG.info("effective configuration: {}", Settings.describe(env));
    ServerConfig cfg = ServerConfig.fromEnv(env);
    TlsConfig tls = TlsConfig.fromEnv(env);
    String warning = plainHttpWarning(cfg.host(), tls.enabled());
    if (warning != null) {
      LOG.warn(warning);
    }
    LeakConfig leaks = LeakConfig.fromEnv(env);
    NotifyConfig notify = NotifyConfig.fromEnv(env);
    ClusterConfig cluster = ClusterConfig.fromEnv(env);
    SecretsConfig secrets = SecretsConfig.fromEnv(env);
    OutboundConfig outbound = OutboundConfig.fromEnv(env);
    ReadDeadlines deadlines = ReadDeadlines.fromEnv(env);
    GrpcConfig grpc = GrpcConfig.fromEnv(env);
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
            .enforcement(EnforcementConfig.fromEnv(env))
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
