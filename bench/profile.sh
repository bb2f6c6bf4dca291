#!/usr/bin/env bash
# Where a request's CPU goes: starts Keygate like bench/http.sh, drives one endpoint with wrk, and
# profiles the server with async-profiler (Maven Central's tools.profiler:async-profiler, fetched
# by the Maven Wrapper), loaded into the running JVM with jcmd after a warm-up on the same load.
# Prints the server CPU per request, then Keygate's own frames in profiled µs per request
# (inclusive; the profiler inflates them by about 1.4×, so compare them with each other, not with
# the CPU figure). The collapsed stacks are kept in target/bench/profile-MODE.collapsed.
#
# Usage: bench/profile.sh [-m MODE] [-d SECONDS] [-n KEYS] [-c CONNECTIONS]
#   MODE: verify (POST /v1/verify, valid keys; default), authz (GET /v1/authz, valid keys),
#         authz-limited (GET /v1/authz, keys with a rate limit they stay under), health (/healthz)
# Defaults: -m verify -d 20 -n 1000 -c 32.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode=verify seconds=20 keys=1000 conns=32
while getopts "m:d:n:c:" o; do
  case $o in m) mode=$OPTARG ;; d) seconds=$OPTARG ;; n) keys=$OPTARG ;; c) conns=$OPTARG ;; *) exit 2 ;; esac
done
case $mode in
  verify) wrkmode=verify file=valid.txt ;;
  authz) wrkmode=authz file=valid.txt ;;
  authz-limited) wrkmode=authz file=metered.txt ;;
  health) wrkmode=health file=valid.txt ;;
  *) echo "unknown mode $mode (verify, authz, authz-limited, health)" >&2; exit 2 ;;
esac
command -v jcmd >/dev/null || { echo "jcmd (from the JDK) is needed to load the profiler" >&2; exit 2; }
# Without DebugNonSafepoints, samples in inlined code are pinned to the nearest safepoint's frame.
export KEYGATE_JAVA_OPTS="${KEYGATE_JAVA_OPTS:--Xmx1g} -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints"
source "$root/bench/lib.sh"
require_wrk
start_keygate
bench_keys
ap="$root/target/bench/async-profiler"
if [ ! -f "$ap/linux-x64/libasyncProfiler.so" ]; then
  mkdir -p "$ap"
  "$root/mvnw" -q dependency:copy -Dartifact=tools.profiler:async-profiler:4.2:jar:linux-x64 \
    -DoutputDirectory="$ap" -Dmdep.stripVersion=true >/dev/null
  (cd "$ap" && unzip -q -o async-profiler-linux-x64.jar 'linux-x64/*')
fi
load() { # what: BENCH_MODE, BENCH_KEYS; prints the requests wrk sent
  BENCH_MODE=$wrkmode BENCH_KEYS="$work/$file" BENCH_TOKEN=$token \
    wrk -t2 -c"$conns" -d"${seconds}s" -s "$work/keys.lua" "$url" | grep -oP '\d+(?= requests in)'
}
echo "warming up on $mode in ${seconds}s passes until the JIT is quiet..." >&2
warm_until_quiet load >/dev/null
out="$root/target/bench/profile-$mode.collapsed"
jcmd "$pid" JVMTI.agent_load "$ap/linux-x64/libasyncProfiler.so" '"start,event=cpu,interval=500us"' >/dev/null
cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
echo "profiling ${seconds}s on $mode..." >&2
requests=$(load)
cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
jcmd "$pid" JVMTI.agent_load "$ap/linux-x64/libasyncProfiler.so" "\"stop,file=$out,collapsed\"" >/dev/null
python3 - "$out" "$requests" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" "$mode" <<'PY'
import collections, sys
path, n, ticks, hz, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
inc, total = collections.Counter(), 0
for line in open(path):
    stack, c = line.rsplit(" ", 1)
    c = int(c); total += c
    seen = set()
    for f in stack.split(";"):
        f = f.split("$$Lambda")[0]
        if f.startswith("io/keygate/") and f not in seen:
            seen.add(f); inc[f] += c
us = lambda c: c * 500 / n  # 500 µs per sample
print(f"{mode}: {n:,} requests; server CPU {ticks / hz * 1e6 / n:.1f} µs/request "
      f"(profiled total {us(total):.1f} µs/request)")
print()
print("| Keygate frame (inclusive) | Profiled µs/request |")
print("|---|---:|")
for f, c in inc.most_common(30):
    if us(c) >= 0.05:
        print(f"| `{f.removeprefix('io/keygate/').replace('/', '.')}` | {us(c):.2f} |")
PY
echo "collapsed stacks: $out" >&2
