package io.keygate.server.cli;

import io.keygate.core.Keygate;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditWitness;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.store.KeyStore;
import io.keygate.server.KeygateServer;
import io.keygate.server.NodeSecrets;
import io.keygate.server.config.ClusterConfig;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.config.ServerConfig;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keygate admin}: management tokens, working on the store directly. */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    description = "Administer Keygate itself (works on the database directly).",
    subcommands = {AdminCommand.CreateToken.class})
final class AdminCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code keygate admin create-token}. */
  @Command(
      name = "create-token",
      mixinStandardHelpOptions = true,
      description = {
        "Create an admin token and print it once (bootstrap; then use /v1/admin-tokens).",
        "Works while the server runs. Without --scopes the token gets every admin scope;",
        "with --owner-id every one but tokens:write."
      })
  static final class CreateToken extends InstallationCommand {
    @Option(names = "--owner-id", description = "Limit the token to this owner's keys.")
    String ownerId;

    @Option(
        names = "--scopes",
        split = ",",
        description =
            "Comma-separated admin scopes (default: all, but tokens:write only without"
                + " --owner-id).",
        defaultValue = "")
    List<String> scopes;

    @Option(names = "--name", description = "A label for the token.", defaultValue = "admin token")
    String name;

    @Option(
        names = "--expires-in-days",
        description = "Lifetime in days (default: the max TTL, KEYGATE_MAX_TTL_DAYS).")
    Integer expiresInDays;

    @Override
    int run(Installation in) {
      ServerConfig cfg = in.cfg();
      List<String> s = scopes.stream().filter(x -> !x.isBlank()).toList();
      for (String scope : s) {
        if (!AdminScopes.ALL.contains(scope)) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "unknown admin scope '" + scope + "'; known: " + AdminScopes.ALL);
        }
      }
      SecretsConfig secrets = SecretsConfig.fromEnv(in.env());
      AuditKeys keys = NodeSecrets.auditKeys(cfg, secrets, true);
      AuditWitness witness = NodeSecrets.witness(cfg);
      try (KeyStore store = KeygateServer.openStore(cfg, ClusterConfig.defaults(), keys, witness)) {
        Keygate kg =
            Keygate.builder()
                .store(store)
                .peppers(KeygateServer.loadPeppers(cfg))
                .policy(cfg.policy())
                .build();
        // The same check as a starting node: a token hashed under another pepper would never work.
        NodeSecrets.check(
            store,
            kg.hasher(),
            null,
            keys,
            witness,
            NodeSecrets.Sources.of(cfg, NotifyConfig.fromEnv(in.env()), secrets));
        String user = System.getProperty("user.name", "unknown");
        CreatedKey t =
            kg.adminTokens()
                .create(
                    ownerId,
                    s.isEmpty() ? null : s,
                    name,
                    expiresInDays,
                    new Actor("cli:" + user, null, null));
        PrintWriter out = in.out();
        out.println(t.secret().reveal());
        out.flush();
        in.err()
            .println(
                "Admin token "
                    + t.record().keyId()
                    + " created (scopes: "
                    + String.join(",", t.record().settings().scopes())
                    + (ownerId == null ? "" : "; owner: " + ownerId)
                    + "). It is shown once: store it now, e.g. export KEYGATE_TOKEN=<token>.");
        return 0;
      }
    }
  }
}
