#!/usr/bin/env bash
# Envoy ext_authz over gRPC against the HTTP forward-auth form, on loopback, in one run with the
# same server and the same keys. Starts Keygate itself (embedded SQLite) with KEYGATE_GRPC_PORT,
# creates N keys, and measures at equal concurrency:
#   - GET /healthz with wrk (trivial, the baseline),
#   - GET /v1/authz with a valid key with wrk (the HTTP form nginx uses: X-API-Key, X-Original-URI),
#   - Authorization/Check with a valid key with keygate-bench's GrpcLoad (the CheckRequest Envoy
#     sends for the same request: x-api-key, GET /api/data, source 127.0.0.1).
# wrk holds C keep-alive connections with one request in flight each; GrpcLoad holds T HTTP/2
# connections with C/T checks in flight each, as Envoy multiplexes checks on a few connections.
#
# Method (as bench/http.sh): the machine's speed drifts, so each round runs the three back to
# back, in an order rotated every round, and takes the ratios within the round; the table gives
# the median over rounds with the lowest and highest. Warm-up passes (results discarded) run until
# the server's JIT is quiet. Server CPU µs/request from /proc/PID/stat around each run; the load
# generator's from /usr/bin/time (wrk) or its own process CPU time over the measured run
# (GrpcLoad). The load generators share the 2 cores with the server, and GrpcLoad (grpc-java)
# spends several times wrk's CPU per request, so the gRPC throughput is bounded by its client on
# this machine; the server CPU per check is the figure that carries over to Envoy in front.
#
# Usage: bench/grpc.sh [-n KEYS] [-c IN_FLIGHT] [-t CONNECTIONS] [-d SECONDS] [-r ROUNDS]
# Defaults: -n 1000 -c 32 -t 2 -d 5 -r 6. Raw keys live only in a 0600 temp file removed at exit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keys=1000 conns=32 threads=2 duration=5 rounds=6
while getopts "n:c:t:d:r:" o; do
  case $o in n) keys=$OPTARG ;; c) conns=$OPTARG ;; t) threads=$OPTARG ;; d) duration=${OPTARG%s} ;; r) rounds=$OPTARG ;; *) exit 2 ;; esac
done
source "$root/bench/lib.sh"
require_wrk
(cd "$root" && ./mvnw -q -B -DskipTests -pl keygate-bench -am package) >&2
bench_jar="$root/keygate-bench/target/benchmarks.jar"
KEYGATE_GRPC_PORT=$(free_port)
export KEYGATE_GRPC_PORT
start_keygate
bench_keys
run() { # round name
  local round=$1 name=$2 outf line cpu0 cpu1 total rps p50 p99 bad
  outf="$work/run-$round-$name.txt"
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  case $name in
    healthz|http)
      BENCH_MODE=$([ "$name" = healthz ] && echo health || echo authz) BENCH_KEYS="$work/valid.txt" \
        BENCH_TOKEN=$token /usr/bin/time -f '%U %S' -o "$outf.cpu" \
        wrk -t"$threads" -c"$conns" -d"${duration}s" --latency -s "$work/keys.lua" "$url" >"$outf"
      read -r total rps p50 p99 bad < <(wrk_numbers "$outf")
      line=$(python3 - "$outf.cpu" "$total" "$rps" "$p50" "$p99" "$bad" <<'PY'
import sys
user, system = map(float, open(sys.argv[1]).read().split()[-2:])
total, rps, p50, p99, bad = int(sys.argv[2]), *map(float, sys.argv[3:6]), int(sys.argv[6])
print(f"{total}\t{rps:.0f}\t{p50:.2f}\t{p99:.2f}\t{100 * bad / total:.0f}\t{(user + system) * 1e6 / total:.1f}")
PY
)
      ;;
    grpc)
      line=$(java -Xmx256m -cp "$bench_jar" io.keygate.bench.GrpcLoad 127.0.0.1 "$KEYGATE_GRPC_PORT" \
        "$work/valid.txt" "$duration" "$threads" $((conns / threads)))
      ;;
  esac
  cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  total=${line%%$'\t'*}
  printf '%s\t%s\t%s\t%s\n' "$round" "$name" "$line" \
    "$(python3 -c "print(f'{($cpu1 - $cpu0) / $(getconf CLK_TCK) * 1e6 / $total:.1f}')")" >>"$work/rows.tsv"
}
names=(healthz http grpc)
warm_pass() { for n in "${names[@]}"; do run 0 "$n"; done; }
round() { for j in 0 1 2; do run "$1" "${names[$(( (j + $1) % 3 ))]}"; done; }
measure_rounds warm_pass round
keep_rows grpc "round, front, requests, requests/s, p50 ms, p99 ms, denied %, client CPU µs/request, server CPU µs/request"
echo "$conns in flight over $threads connections (wrk -t$threads -c$conns; GrpcLoad $threads channels × $((conns / threads)) streams), ${duration}s runs, $rounds rounds on loopback, $(nproc) cores, $(date -u '+%F %H:%M') UTC, $keys keys, embedded (SQLite)"
echo
echo "| Front | Requests/s | p50 ms | p99 ms | denied % | Ratio to /healthz (median) | lowest–highest | Server CPU µs/request | Load generator CPU µs/request |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
python3 - "$work/rows.tsv" <<'PY'
import statistics as st, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r[0], {})[r[1]] = r
label = {"healthz": "GET /healthz (wrk, trivial)", "http": "GET /v1/authz valid key (wrk, HTTP/1.1 keep-alive)",
         "grpc": "Authorization/Check valid key (GrpcLoad, gRPC)"}
def ratios(a, b):
    return [float(v[a][3]) / float(v[b][3]) for v in by.values() if a in v and b in v]
for name in ("healthz", "http", "grpc"):
    mine = [r for r in rows if r[1] == name]
    med = lambda k: st.median(float(m[k]) for m in mine)
    rs = ratios(name, "healthz")
    print(f"| {label[name]} | {med(3):,.0f} | {med(4):.2f} | {med(5):.2f} | {med(6):.0f} | "
          f"{st.median(rs):.2f}× | {min(rs):.2f}–{max(rs):.2f} | {med(8):.1f} | {med(7):.1f} |")
g = ratios("grpc", "http")
c = [float(v["grpc"][8]) / float(v["http"][8]) for v in by.values() if "grpc" in v and "http" in v]
print(f"\ngRPC / HTTP throughput, per round: median {st.median(g):.2f}× (lowest {min(g):.2f}, highest {max(g):.2f});"
      f" server CPU per check, gRPC / HTTP: median {st.median(c):.2f}×")
PY
