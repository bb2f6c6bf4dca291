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
KEYGATE_GRPC_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export KEYGATE_GRPC_PORT
start_keygate
bench_keys
run() { # round name
  local round=$1 name=$2 outf line cpu0 cpu1
  outf="$work/run-$round-$name.txt"
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  case $name in
    healthz|http)
      BENCH_MODE=$([ "$name" = healthz ] && echo health || echo authz) BENCH_KEYS="$work/valid.txt" \
        BENCH_TOKEN=$token /usr/bin/time -f '%U %S' -o "$outf.cpu" \
        wrk -t"$threads" -c"$conns" -d"${duration}s" --latency -s "$work/keys.lua" "$url" >"$outf"
      line=$(python3 - "$outf" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
user, system = map(float, open(sys.argv[1] + ".cpu").read().split()[-2:])
total = int(re.search(r"(\d+) requests in", text).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def pct(p):
    m = re.search(r"\s" + p + r"%\s+([\d.]+)(us|ms|s)", text)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
bad = int(non2xx.group(1)) if non2xx else 0
print(f"{total}\t{rps:.0f}\t{pct('50'):.2f}\t{pct('99'):.2f}\t{100 * bad / total:.0f}\t{(user + system) * 1e6 / total:.1f}")
PY
)
      ;;
    grpc)
      line=$(java -Xmx256m -cp "$bench_jar" io.keygate.bench.GrpcLoad 127.0.0.1 "$KEYGATE_GRPC_PORT" \
        "$work/valid.txt" "$duration" "$threads" $((conns / threads)))
      ;;
  esac
  cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  local total=${line%%$'\t'*}
  printf '%s\t%s\t%s\t%s\n' "$round" "$name" "$line" \
    "$(python3 -c "print(f'{($cpu1 - $cpu0) / $(getconf CLK_TCK) * 1e6 / $total:.1f}')")" >>"$work/rows.tsv"
}
names=(healthz http grpc)
warm_pass() { for n in "${names[@]}"; do run 0 "$n"; done; }
: >"$work/rows.tsv"
warm_until_quiet warm_pass
: >"$work/rows.tsv"
for r in $(seq 1 "$rounds"); do
  for j in 0 1 2; do run "$r" "${names[$(( (j + r) % 3 ))]}"; done
  echo "round $r of $rounds done" >&2
done
mkdir -p "$root/target/bench" && cp "$work/rows.tsv" "$root/target/bench/grpc-rows.tsv"
echo "every run (round, front, requests, requests/s, p50 ms, p99 ms, denied %, client CPU µs/request, server CPU µs/request): target/bench/grpc-rows.tsv" >&2
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
