#!/usr/bin/env bash
# Gateway benchmark: what Keygate costs nginx (Debian package) as forward auth. One nginx process
# serves three front ends, all proxying to the same stub API (an nginx server that returns 200),
# through the API upstream exactly as docs/deploy.md's block defines it:
#   (a) static: nginx checks X-API-Key against a static `map` of the keys itself;
#   (b) stub:   `auth_request` to an nginx-internal auth stub (the same map, answering 200 or 401
#               with no body, over a keep-alive upstream): the ceiling of the auth_request pattern;
#   (c) keygate: docs/deploy.md's nginx block as written (addresses replaced, as NginxFrontTest
#               does), `auth_request` to a real Keygate started from the built jar with the
#               deploy.md settings (KEYGATE_FORWARD_AUTH=nginx, trusted proxy 127.0.0.1).
# Keys are created at runtime through Keygate's API; the static map holds the same raw keys, in a
# 0600 file of the 0700 temp directory removed at exit.
#
# Method (as bench/http.sh): rounds of paired runs, a, b and c back to back in an order rotated
# each round, after warm-up passes until Keygate's JIT is quiet; the ratios c/a, c/b and b/a are
# taken within each round, and the table gives their median and range. Keygate's new TCP
# connections per request come from its /metrics (keygate_http_connections_opened_total) around
# each (c) run: near 0 when nginx reuses its upstream connections, 1 when every auth subrequest
# opens one.
#
# Usage: bench/gateway.sh [-n KEYS] [-c CONNECTIONS] [-t THREADS] [-d DURATION] [-r ROUNDS]
# Defaults: -n 100 -c 32 -t 2 -d 5s -r 6. Needs wrk and nginx (apt-get install -y wrk nginx).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keys=100 conns=32 threads=2 duration=5s rounds=6
while getopts "n:c:t:d:r:" o; do
  case $o in n) keys=$OPTARG ;; c) conns=$OPTARG ;; t) threads=$OPTARG ;; d) duration=$OPTARG ;; r) rounds=$OPTARG ;; *) exit 2 ;; esac
done
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx is not installed: apt-get install -y nginx" >&2; exit 2; }
source "$root/bench/lib.sh"
require_wrk
export KEYGATE_FORWARD_AUTH=nginx KEYGATE_TRUSTED_PROXIES=127.0.0.1   # docs/deploy.md, section 4
start_keygate
bench_keys
port_a=$(free_port) port_b=$(free_port) port_c=$(free_port) port_api=$(free_port) port_stub=$(free_port)
ng="$work/nginx"; mkdir -p "$ng/tmp"
nginx_pid=""
trap '[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null; cleanup' EXIT

# docs/deploy.md's first nginx block with loopback addresses (fails if the doc changed shape)
python3 - "$root/docs/deploy.md" "$port" "$port_api" "$port_c" >"$ng/keygate.conf" <<'PY'
import re, sys
doc, kg, api, listen = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3], sys.argv[4]
block = re.search(r"```nginx\n(.*?)```", doc, re.S).group(1)
def once(s, what, new):
    if what not in s:
        sys.exit(f"docs/deploy.md's nginx block no longer contains {what!r}")
    return s.replace(what, new)
block = once(block, "server 10.0.0.11:8080", "server 127.0.0.1:" + kg)
block = re.sub(r"(?m)^\s*server 10\.0\.0\.1[23]:8080.*\n", "", block)
block = once(block, "server 10.0.1.10:9000;", "server 127.0.0.1:" + api + ";")
print(once(block, "listen 443 ssl;", "listen 127.0.0.1:" + listen + ";"))
PY
{
  echo 'map $http_x_api_key $static_ok {'
  echo '    default 0;'
  sed 's/.*/    "&" 1;/' "$work/valid.txt"
  echo '}'
} >"$ng/keys.conf"
chmod 600 "$ng/keys.conf"
cat >"$ng/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $ng/nginx.pid;
error_log $ng/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $ng/tmp/body; proxy_temp_path $ng/tmp/proxy; fastcgi_temp_path $ng/tmp/fastcgi;
  uwsgi_temp_path $ng/tmp/uwsgi; scgi_temp_path $ng/tmp/scgi;
  map_hash_bucket_size 128;   # room for API keys as map keys
  include $ng/keys.conf;
  # the stub API
  server { listen 127.0.0.1:$port_api; location / { return 200 "ok\n"; } }
  # (b)'s auth stub: the static map, answering with headers only
  server { listen 127.0.0.1:$port_stub; location / { if (\$static_ok = 0) { return 401; } return 200; } }
  upstream authstub { server 127.0.0.1:$port_stub; keepalive 64; keepalive_timeout 25s; }
  # (a) the static map in the front end itself
  server {
    listen 127.0.0.1:$port_a;
    location / {
      if (\$static_ok = 0) { return 401; }
      proxy_set_header X-API-Key "";
      proxy_pass http://api;
    }
  }
  # (b) auth_request to the stub, with the doc's settings for the auth location
  server {
    listen 127.0.0.1:$port_b;
    location / {
      auth_request /_auth;
      proxy_set_header X-API-Key "";
      proxy_pass http://api;
    }
    location = /_auth {
      internal;
      proxy_pass http://authstub/;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI \$request_uri;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
  # (c) docs/deploy.md's block
  include $ng/keygate.conf;
}
EOF
"$nginx" -p "$ng" -c "$ng/nginx.conf" -e "$ng/error.log" >"$ng/stdout.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 1 40); do curl -s -o /dev/null "http://127.0.0.1:$port_a/" && break; sleep 0.25; done
one=$(head -1 "$work/valid.txt")
for p in $port_a $port_b $port_c; do   # each front end must pass a valid key and refuse a bad one
  ok=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $one" "http://127.0.0.1:$p/api/data" || true)
  bad=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: sk_live_nope" "http://127.0.0.1:$p/api/data" || true)
  [ "$ok" = 200 ] && [ "$bad" = 401 ] || { echo "front end on $p answered $ok / $bad:" >&2; cat "$ng/error.log" >&2; exit 1; }
done

opened() { curl -s "$url/metrics" | awk '/^keygate_http_connections_opened_total/ {printf "%d", $2}'; }
names=("" "(a) nginx, static key map" "(b) nginx auth_request to an nginx stub" "(c) nginx auth_request to Keygate (docs/deploy.md)")
ports=("" "$port_a" "$port_b" "$port_c")
run() { # round config
  local outf="$work/wrk-$1-$2.txt" c0 c1 total rps p50 p99 bad
  c0=$(opened)
  BENCH_MODE=front BENCH_KEYS="$work/valid.txt" BENCH_TOKEN=$token \
    wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$work/keys.lua" "http://127.0.0.1:${ports[$2]}" >"$outf"
  c1=$(opened)
  read -r total rps p50 p99 bad < <(wrk_numbers "$outf")
  python3 - "$1" "$2" "$total" "$rps" "$p50" "$p99" "$bad" "$((c1 - c0))" <<'PY' >>"$work/rows.tsv"
import sys
rnd, cfg, total, rps, p50, p99 = sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(float, sys.argv[4:7])
bad, conns = int(sys.argv[7]), int(sys.argv[8])
print("\t".join([rnd, cfg, f"{rps:.0f}", f"{p50:.2f}", f"{p99:.2f}",
                 f"{100 * bad / total:.1f}", f"{conns / total:.4f}"]))
PY
}
warm_pass() { for c in 1 2 3; do run 0 "$c"; done; }
round() { for j in 0 1 2; do run "$1" $(( (j + $1 - 1) % 3 + 1 )); done; }
measure_rounds warm_pass round
keep_rows gateway "round, config, requests/s, p50, p99, non-2xx %, Keygate connections/request"
echo "wrk -t$threads -c$conns -d$duration, $rounds rounds of paired runs on loopback, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%F %H:%M') UTC, $keys keys, nginx $("$nginx" -v 2>&1 | sed 's|.*/||'), one worker process"
echo
echo "| Configuration | Requests/s | p50 ms | p99 ms | non-2xx % | Keygate new connections per request |"
echo "|---|---:|---:|---:|---:|---:|"
python3 - "$work/rows.tsv" "${names[@]:1}" <<'PY'
import statistics as st, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
names = sys.argv[2:]
by = lambda c: [r for r in rows if r[1] == str(c)]
for c, name in enumerate(names, 1):
    mine = by(c)
    med = lambda k: st.median(float(m[k]) for m in mine)
    conns = f"{med(6):.4f}" if c == 3 else "—"
    print(f"| {name} | {med(2):,.0f} | {med(3):.2f} | {med(4):.2f} | {med(5):.1f} | {conns} |")
rps = {(r[0], r[1]): float(r[2]) for r in rows}
print()
print("| Ratio | median | lowest–highest | target |")
print("|---|---:|---:|---:|")
for x, y, target in ((3, 1, "≥ 0.5"), (3, 2, "≥ 0.8"), (2, 1, "—")):
    rs = [rps[(rn, str(x))] / rps[(rn, str(y))] for rn in sorted({r[0] for r in rows})]
    print(f"| {'abc'[x-1]}/{'abc'[y-1]} | {st.median(rs):.2f}× | {min(rs):.2f}–{max(rs):.2f} | {target} |")
PY
