#!/usr/bin/env bash
# HTTP load test with wrk (Debian package) on loopback. Starts Keygate itself (embedded SQLite,
# or with Redis when KEYGATE_REDIS_URL is set), creates N keys, and measures at equal
# concurrency: a trivial unauthenticated endpoint (/healthz), GET /v1/authz (valid key, valid key
# with a rate limit it stays under, revoked key, rate-limited key) and POST /v1/verify. Prints a
# Markdown table with ratios to /healthz and the server's CPU time per request (from
# /proc/PID/stat around each run: steadier than requests/s on a shared machine). Every endpoint,
# /healthz included, is driven through the same wrk Lua script with the same headers, so the
# client costs the same per request (on a 2-core loopback box wrk shares the CPU with the server;
# a script-less /healthz run would give the baseline a cheaper client and skew the ratios).
#
# Usage: bench/http.sh [-n KEYS] [-c CONNECTIONS] [-t THREADS] [-d DURATION]
# Defaults: -n 1000 -c 32 -t 2 -d 15s. Raw keys live only in a 0600 temp file removed at exit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keys=1000 conns=32 threads=2 duration=15s
while getopts "n:c:t:d:" o; do
  case $o in n) keys=$OPTARG ;; c) conns=$OPTARG ;; t) threads=$OPTARG ;; d) duration=$OPTARG ;; *) exit 2 ;; esac
done
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 2; }
work=$(mktemp -d); chmod 700 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$root/bin/keygate" --version >/dev/null   # builds the jar if needed
KEYGATE_SKIP_BUILD=1 KEYGATE_JAVA_OPTS="${KEYGATE_JAVA_OPTS:--Xmx1g}" \
  "$root/bin/keygate" serve --port "$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.5; done
token=$(KEYGATE_SKIP_BUILD=1 "$root/bin/keygate" admin create-token --data-dir "$work/data" 2>/dev/null)
umask 077
python3 - "$url" "$token" "$keys" "$work" <<'PY'
import json, sys, urllib.request
url, token, n, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def post(path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
with open(work + "/valid.txt", "w") as f:
    for i in range(n):
        f.write(post("/v1/keys", {"owner_id": f"bench-{i % 50}", "scopes": ["read"]})["api_key"] + "\n")
revoked = post("/v1/keys", {"owner_id": "bench", "scopes": ["read"]})
post(f"/v1/keys/{revoked['key_id']}/revoke", {"reason": "bench"})
open(work + "/revoked.txt", "w").write(revoked["api_key"] + "\n")
limited = post("/v1/keys", {"owner_id": "bench", "rate_limits": [{"name": "tiny", "requests": 1, "window": 86400}]})
open(work + "/limited.txt", "w").write(limited["api_key"] + "\n")
with open(work + "/metered.txt", "w") as f:
    for i in range(100):
        f.write(post("/v1/keys", {"owner_id": "bench-metered", "scopes": ["read"],
            "rate_limits": [{"name": "generous", "requests": 1000000000, "window": 3600}]})["api_key"] + "\n")
PY
cat >"$work/keys.lua" <<'LUA'
local keys = {}
local mode = os.getenv("BENCH_MODE")
local token = os.getenv("BENCH_TOKEN")
for line in io.lines(os.getenv("BENCH_KEYS")) do keys[#keys + 1] = line end
local i = 0
request = function()
  i = i + 1
  local k = keys[(i % #keys) + 1]
  if mode == "health" then
    return wrk.format("GET", "/healthz", {["X-API-Key"] = k, ["X-Original-URI"] = "/api/data"})
  end
  if mode == "verify" then
    local body = '{"key":"' .. k .. '","required_scopes":["read"]}'
    return wrk.format("POST", "/v1/verify", {["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", "/v1/authz", {["X-API-Key"] = k, ["X-Original-URI"] = "/api/data"})
end
LUA
run() { # name mode keyfile
  local name=$1 mode=$2 file=$3 outf
  outf="$work/wrk-$(echo "$1" | tr -c 'a-zA-Z0-9' '_').txt"
  local cpu0 cpu1   # the server's CPU time (user + system clock ticks) around the run
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  BENCH_MODE=$mode BENCH_KEYS=$file BENCH_TOKEN=$token \
    wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$work/keys.lua" "$url" >"$outf"
  cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  python3 - "$name" "$outf" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" <<'PY' >>"$work/rows.tsv"
import re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
ticks, hz = int(sys.argv[3]), int(sys.argv[4])
total = int(re.search(r"(\d+) requests in", text).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def pct(p):
    m = re.search(r"\s" + p + r"%\s+([\d.]+)(us|ms|s)", text)
    if not m: return float("nan")
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
cpu_us = ticks / hz * 1e6 / total
print("\t".join([name, f"{rps:.0f}", f"{pct('50'):.2f}", f"{pct('99'):.2f}", non2xx.group(1) if non2xx else "0", f"{cpu_us:.1f}"]))
PY
}
# Warm-up (JIT, pools, caches) on every path measured below, results discarded.
: >"$work/rows.tsv"
run warmup health "$work/valid.txt"
run warmup authz "$work/valid.txt"
run warmup authz "$work/metered.txt"
run warmup verify "$work/valid.txt"
: >"$work/rows.tsv"
run "GET /healthz (trivial)" health "$work/valid.txt"
run "GET /v1/authz valid key" authz "$work/valid.txt"
run "GET /v1/authz valid key with a rate limit (admitted)" authz "$work/metered.txt"
run "GET /v1/authz revoked key" authz "$work/revoked.txt"
run "GET /v1/authz rate-limited key (denied)" authz "$work/limited.txt"
run "POST /v1/verify valid key" verify "$work/valid.txt"
mode="embedded (SQLite)"; [ -n "${KEYGATE_REDIS_URL:-}" ] && mode="Redis ($KEYGATE_REDIS_URL)"
echo "wrk -t$threads -c$conns -d$duration on loopback, $(nproc) cores, $(date -u +%F), $keys keys, $mode"
echo
echo "| Endpoint | Requests/s | p50 ms | p99 ms | non-2xx | Ratio to /healthz | Server CPU µs/request |"
echo "|---|---:|---:|---:|---:|---:|---:|"
python3 - "$work/rows.tsv" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
base = float(rows[0][1])
for name, rps, p50, p99, bad, cpu in rows:
    print(f"| {name} | {float(rps):,.0f} | {p50} | {p99} | {bad} | {float(rps) / base:.2f}× | {cpu} |")
PY
