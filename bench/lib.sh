# Shared by the bench scripts (sourced, not run).
#
# free_port: prints a TCP port free on 127.0.0.1.
#
# start_keygate [JAVA_OPTS]: starts Keygate embedded (or with Redis when KEYGATE_REDIS_URL is set)
# on a free port with its data in a 0700 temp dir removed at exit, waits for it, and creates an
# admin token. Sets work, port, url, pid and token. JAVA_OPTS defaults to KEYGATE_JAVA_OPTS, else
# -Xmx1g.
#
# bench_keys: creates $keys keys (plus a revoked, a rate-limited and 100 metered ones) and the wrk
# Lua script that drives them ($work/keys.lua, BENCH_MODE/BENCH_KEYS/BENCH_TOKEN; BENCH_MODE=front
# sends what a client sends a gateway: GET /api/data?page=2 with the key in X-API-Key). Raw keys
# live only in 0600 files in $work.
#
# wrk_numbers FILE: from wrk --latency output, prints (tab-separated) requests, requests/s, p50 ms,
# p99 ms (nan when wrk printed none) and the count of non-2xx/3xx answers.
#
# require_wrk: exits 2 with the install command when wrk (Debian package) is missing.
#
# jit_seconds: seconds the server's JIT compilers have spent so far (jcmd PerfCounter.print).
#
# warm_until_quiet PASS_COMMAND: runs PASS_COMMAND (one pass of load over every path to be
# measured) until a pass in which the JIT spent under 2 % of the pass's wall time compiling (at
# most 8 passes), printing each pass's compile share. A run measured while C2 is still compiling
# the path is charged for the compiler's CPU (on a 2-core machine, up to 15 % of it for /v1/verify
# 15 s after start), and the paths warmed last pay the most.
#
# measure_rounds WARM_PASS ROUND: warm_until_quiet WARM_PASS, then ROUND 1 .. ROUND $rounds, each
# appending its runs to $work/rows.tsv (emptied before and after the warm-up), saying when each
# round is done.
#
# keep_rows NAME COLUMNS: copies $work/rows.tsv to target/bench/NAME-rows.tsv and says so, naming
# its COLUMNS.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_keygate() {
  work=$(mktemp -d); chmod 700 "$work"
  port=$(free_port)
  url="http://127.0.0.1:$port"
  cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
  trap cleanup EXIT
  "$root/bin/keygate" --version >/dev/null   # builds the jar if needed
  KEYGATE_SKIP_BUILD=1 KEYGATE_JAVA_OPTS="${1:-${KEYGATE_JAVA_OPTS:--Xmx1g}}" \
    "$root/bin/keygate" serve --port "$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.5; done
  curl -sf "$url/healthz" >/dev/null || { echo "server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
  token=$(KEYGATE_SKIP_BUILD=1 "$root/bin/keygate" admin create-token --data-dir "$work/data" 2>/dev/null)
}

bench_keys() {
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
-- Every request is formatted once, in init (after wrk has set the Host header); request() only
-- picks the next one, so the client does the same work per request for every endpoint.
local reqs = {}
local i = 0
init = function(args)
  local mode = os.getenv("BENCH_MODE")
  local token = os.getenv("BENCH_TOKEN")
  for k in io.lines(os.getenv("BENCH_KEYS")) do
    local gateway = {["X-API-Key"] = k, ["X-Original-URI"] = "/api/data"}
    local service = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
    local body = '{"key":"' .. k .. '","required_scopes":["read"]}'
    if mode == "health" then
      reqs[#reqs + 1] = wrk.format("GET", "/healthz", gateway)
    elseif mode == "health-verify-shaped" then
      reqs[#reqs + 1] = wrk.format("GET", "/healthz", service, body)
    elseif mode == "front" then
      reqs[#reqs + 1] = wrk.format("GET", "/api/data?page=2", {["X-API-Key"] = k})
    elseif mode == "verify" then
      reqs[#reqs + 1] = wrk.format("POST", "/v1/verify", service, body)
    else
      reqs[#reqs + 1] = wrk.format("GET", "/v1/authz", gateway)
    end
  end
end
request = function()
  i = i + 1
  return reqs[(i % #reqs) + 1]
end
LUA
}

require_wrk() {
  command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 2; }
}

wrk_numbers() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
total = int(re.search(r"(\d+) requests in", text).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def pct(p):
    m = re.search(r"\s" + p + r"%\s+([\d.]+)(us|ms|s)", text)
    if not m: return float("nan")
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(total, repr(rps), repr(pct("50")), repr(pct("99")), int(non2xx.group(1)) if non2xx else 0, sep="\t")
PY
}

jit_seconds() {
  jcmd "$pid" PerfCounter.print 2>/dev/null |
    awk -F= '/^java.ci.totalTime=/ {t=$2} /^sun.os.hrt.frequency=/ {f=$2} END {printf "%.3f", t / f}'
}

warm_until_quiet() {
  local pass j0 j1 t0 t1 share
  for pass in 1 2 3 4 5 6 7 8; do
    j0=$(jit_seconds); t0=$(date +%s.%N)
    "$@"
    j1=$(jit_seconds); t1=$(date +%s.%N)
    share=$(python3 -c "print(f'{100 * ($j1 - $j0) / ($t1 - $t0):.1f}')")
    echo "warm-up pass $pass: JIT compiling ${share}% of the time" >&2
    python3 -c "import sys; sys.exit(0 if $share < 2 else 1)" && return 0
  done
  echo "the JIT was still busy after 8 warm-up passes; measuring anyway" >&2
}

measure_rounds() {
  local r
  : >"$work/rows.tsv"
  warm_until_quiet "$1"
  : >"$work/rows.tsv"
  for r in $(seq 1 "$rounds"); do
    "$2" "$r"
    echo "round $r of $rounds done" >&2
  done
}

keep_rows() {
  mkdir -p "$root/target/bench" && cp "$work/rows.tsv" "$root/target/bench/$1-rows.tsv"
  echo "every run ($2): target/bench/$1-rows.tsv" >&2
}
