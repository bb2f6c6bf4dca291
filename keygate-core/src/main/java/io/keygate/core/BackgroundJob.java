package io.keygate.core;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A periodic task the core needs a host to run (see {@link Keygate#backgroundJobs()}): the host
 * runs {@code task} first after {@code initialDelay}, then with a fixed delay of {@code period}
 * between the end of one run and the start of the next. The core starts no threads of its own;
 * every host (the server, the Spring embedded mode) schedules the same list.
 *
 * <p><b>Contract.</b> {@code task} throws on a store fault, having kept what it could not write for
 * its next run; the host logs the fault (message only) and carries on with the next period. A job
 * with {@code oncePerCluster} runs on one node of a cluster at a time: the host takes a lease named
 * {@code name} before each run and skips the run without it. Tasks are thread-safe but a host never
 * runs two runs of one job at once.
 *
 * @param name stable, lower-case name ({@code usage-flush}, {@code rotation-sweep}, ...), also the
 *     cluster lease's name
 * @param initialDelay wait before the first run ({@link Duration#ZERO} runs it at start)
 * @param period wait between the end of one run and the start of the next (positive)
 * @param oncePerCluster whether only the lease holder runs it
 * @param task the work
 */
public record BackgroundJob(
    String name, Duration initialDelay, Duration period, boolean oncePerCluster, Runnable task) {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  /** Checks the fields: a lower-case name, a delay {@code >= 0} and a positive period. */
  public BackgroundJob {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("job name must match " + NAME + ", was '" + name + "'");
    }
    if (initialDelay == null || initialDelay.isNegative()) {
      throw new IllegalArgumentException("initial delay must be >= 0, was " + initialDelay);
    }
    if (period == null || period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("job period must be positive, was " + period);
    }
    Objects.requireNonNull(task, "task");
  }
}
