#!/usr/bin/env bash
# HTTP load test with wrk (Debian package) on loopback. Starts Keygate itself (embedded SQLite,
# or with Redis when KEYGATE_REDIS_URL is set), creates N keys, and measures at equal
# concurrency: a trivial unauthenticated endpoint (/healthz), GET /v1/authz (valid key, valid key
# with a rate limit it stays under, revoked key, rate-limited key) and POST /v1/verify.
#
# Method. This shared 2-core machine's speed drifts by up to ±20 % within tens of seconds (the
# CPU time per request moves with it, so it is the host, not the load), more than the differences
# measured here. So every endpoint is measured in pairs: each round runs, for every endpoint in an
# order rotated each round, a /healthz run and the endpoint's run back to back (/healthz first in
# one round, second in the next, so a steady drift cancels), and takes the endpoint's ratio to the
# /healthz run beside it. The table gives the median over the rounds with the lowest and highest
# ratio seen. Every endpoint, /healthz included, is driven through the same wrk Lua script, whose
# requests are formatted once at start (wrk only picks the next one), so the client costs the same
# per request whatever the endpoint. /healthz is sent /v1/authz's headers; a second /healthz
# endpoint is sent /v1/verify's exact headers and body (a GET with a body: Jetty parses and drops
# it), so POST /v1/verify also gets a ratio free of the cost of parsing its larger request (its
# ratio divided by that endpoint's, round by round). The last column is the server's CPU time per
# request (/proc/PID/stat around each run).
#
# Usage: bench/http.sh [-n KEYS] [-c CONNECTIONS] [-t THREADS] [-d DURATION] [-r ROUNDS] [-e "LIST"]
# Defaults: -n 1000 -c 32 -t 2 -d 5s -r 6, every endpoint. -e measures only the endpoints listed by
# number (1 authz valid, 2 authz with a rate limit, 3 revoked, 4 refused, 5 verify, 6 /healthz sent
# verify's request), e.g. -e "2 5" for a quick A/B of two jars. Raw keys live only in a 0600 temp
# file removed at exit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keys=1000 conns=32 threads=2 duration=5s rounds=6 only="1 2 3 4 5 6"
while getopts "n:c:t:d:r:e:" o; do
  case $o in n) keys=$OPTARG ;; c) conns=$OPTARG ;; t) threads=$OPTARG ;; d) duration=$OPTARG ;; r) rounds=$OPTARG ;; e) only=$OPTARG ;; *) exit 2 ;; esac
done
for e in $only; do [[ $e =~ ^[1-6]$ ]] || { echo "-e takes endpoint numbers 1-6, not $e" >&2; exit 2; }; done
read -r -a measured <<<"$only"
source "$root/bench/lib.sh"
require_wrk
start_keygate
bench_keys
run() { # round name mode keyfile
  local round=$1 name=$2 mode=$3 file=$4 outf total rps p50 p99 bad
  outf="$work/wrk-$round-$(echo "$2" | tr -c 'a-zA-Z0-9' '_').txt"
  local cpu0 cpu1   # the server's CPU time (user + system clock ticks) around the run
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  BENCH_MODE=$mode BENCH_KEYS=$file BENCH_TOKEN=$token \
    wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$work/keys.lua" "$url" >"$outf"
  cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  read -r total rps p50 p99 bad < <(wrk_numbers "$outf")
  python3 - "$round" "$name" "$total" "$rps" "$p50" "$p99" "$bad" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" <<'PY' >>"$work/rows.tsv"
import sys
rnd, name, total, rps, p50, p99 = sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(float, sys.argv[4:7])
bad, ticks, hz = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
cpu_us = ticks / hz * 1e6 / total
print("\t".join([rnd, name, f"{rps:.0f}", f"{p50:.2f}", f"{p99:.2f}", f"{100 * bad / total:.0f}", f"{cpu_us:.1f}"]))
PY
}
names=("GET /healthz (trivial)" "GET /v1/authz valid key" "GET /v1/authz valid key with a rate limit (admitted)"
  "GET /v1/authz revoked key" "GET /v1/authz rate-limited key (denied)" "POST /v1/verify valid key"
  "GET /healthz sent verify's request (trivial)")
modes=(health authz authz authz authz verify health-verify-shaped)
files=("$work/valid.txt" "$work/valid.txt" "$work/metered.txt" "$work/revoked.txt" "$work/limited.txt" "$work/valid.txt" "$work/valid.txt")
# Warm-up (JIT, pools, caches) on every path measured below until the JIT is quiet, results
# discarded.
warm_pass() { for e in 0 "${measured[@]}"; do run 0 warmup "${modes[$e]}" "${files[$e]}"; done; }
round() {
  local r=$1 j e
  for j in $(seq 1 ${#measured[@]}); do   # rotate the order every round
    e=${measured[$(( (j + r - 2) % ${#measured[@]} ))]}
    if (( (r + j) % 2 )); then
      run "$r.$e" "${names[0]}" "${modes[0]}" "${files[0]}"
      run "$r.$e" "${names[$e]}" "${modes[$e]}" "${files[$e]}"
    else
      run "$r.$e" "${names[$e]}" "${modes[$e]}" "${files[$e]}"
      run "$r.$e" "${names[0]}" "${modes[0]}" "${files[0]}"
    fi
  done
}
measure_rounds warm_pass round
keep_rows http "round.endpoint, endpoint, requests/s, p50, p99, non-2xx %, CPU µs"
mode="embedded (SQLite)"; [ -n "${KEYGATE_REDIS_URL:-}" ] && mode="Redis ($KEYGATE_REDIS_URL)"
echo "wrk -t$threads -c$conns -d$duration, $rounds rounds of paired runs on loopback, $(nproc) cores, $(date -u '+%F %H:%M') UTC, $keys keys, $mode"
echo
echo "| Endpoint | Requests/s | p50 ms | p99 ms | non-2xx % | Ratio to /healthz (median) | lowest–highest | Ratio to /healthz sent the same request | Server CPU µs/request |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
python3 - "$work/rows.tsv" "${names[@]}" <<'PY'
import statistics as st, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
names = sys.argv[2:]
health, verify, shaped = names[0], names[5], names[6]
pairs = {}  # "round.endpoint" -> {name: row}
for r in rows:
    pairs.setdefault(r[0], {})[r[1]] = r
def ratios(name):  # per round: the endpoint's requests/s over the /healthz run beside it
    return {p.split(".")[0]: float(v[name][2]) / float(v[health][2])
            for p, v in pairs.items() if name in v and name != health}
for name in names:
    mine = [r for r in rows if r[1] == name]
    if not mine:
        continue
    med = lambda k: st.median(float(m[k]) for m in mine)
    if name == health:
        lo = hi = mid = same = 1.0
    else:
        rs = ratios(name)
        mid, lo, hi = st.median(rs.values()), min(rs.values()), max(rs.values())
        base = ratios(shaped) if name == verify and any(r[1] == shaped for r in rows) else None
        same = st.median(rs[k] / base[k] for k in rs) if base else mid
    print(f"| {name} | {med(2):,.0f} | {med(3):.2f} | {med(4):.2f} | {med(5):.0f} | "
          f"{mid:.2f}× | {lo:.2f}–{hi:.2f} | {same:.2f}× | {med(6):.1f} |")
PY
