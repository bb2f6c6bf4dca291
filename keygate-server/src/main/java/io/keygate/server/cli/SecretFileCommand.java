package io.keygate.server.cli;

import io.keygate.server.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The one path of the {@code rotate-*} commands up to their secret file: an {@link
 * InstallationCommand} that finds the file through {@link SecretFileRotation#file} (exit 1 when
 * there is none to rotate), then hands over to {@link #rotate}.
 */
abstract class SecretFileCommand extends InstallationCommand {

  /** Where the configuration says the secret is. */
  record Source(boolean givenInEnv, Path defaultFile) {}

  /** The secret's names in messages. */
  abstract SecretFileRotation rotation();

  /** The file named on the command line, or {@code null}. */
  abstract Path namedFile();

  /** Where the configuration puts the secret: given directly, or the default file. */
  abstract Source source(Map<String, String> env, ServerConfig cfg);

  /** The command's work on the found {@code file}; returns the exit code. */
  abstract int rotate(Installation in, Path file) throws IOException;

  @Override
  final int run(Installation in) throws IOException {
    Source source = source(in.env(), in.cfg());
    Path file = rotation().file(in.err(), namedFile(), source.givenInEnv(), source.defaultFile());
    return file == null ? 1 : rotate(in, file);
  }

  /** A part of the store only the JDBC store has. */
  static <T> T jdbcPart(Optional<T> part) {
    return part.orElseThrow(() -> new IllegalStateException("the store is not a JDBC store"));
  }
}
