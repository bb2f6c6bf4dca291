#!/usr/bin/env bash
# Soak test: mixed traffic against a separate `bin/keygate serve` process for DURATION seconds,
# the same mix as SoakTest (verify 70%, authz 12%, create 8%, rotate 5%, revoke 3%, leak
# report 2%) from THREADS Python client threads. Prints the error rate (5xx, failed requests,
# unexpected outcomes), requests/s and p50/p99 latency of the first and last 60 s (drift), and
# the server's heap after a full GC (`jcmd <pid> GC.run` then `GC.heap_info`) after warm-up and
# at the end. Exits 1 when any request failed or had an unexpected outcome.
#
# Usage: bench/soak.sh [DURATION_SECONDS] [THREADS]     (defaults: 1800 4)
# Raw keys live only in the client's memory; the data dir is a temp dir removed at exit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration=${1:-1800} threads=${2:-4}
[ "$duration" -ge 120 ] || { echo "DURATION must be at least 120 seconds" >&2; exit 2; }
source "$root/bench/lib.sh"
start_keygate "${KEYGATE_JAVA_OPTS:--Xmx512m}"
jvm=$(pgrep -P "$pid" java || echo "$pid")   # bin/keygate execs java, so this is usually $pid
heap() { jcmd "$jvm" GC.run >/dev/null; echo "== server heap after GC ($1)"; jcmd "$jvm" GC.heap_info | sed -n '2,3p'; }
( sleep 30; heap "after 30 s warm-up" ) &
heap_job=$!
set +e
KEYGATE_TOKEN="$token" python3 - "$url" "$duration" "$threads" <<'PY'
import json, os, random, sys, threading, time, http.client, urllib.parse
url, duration, nthreads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
token = os.environ["KEYGATE_TOKEN"]
host = urllib.parse.urlparse(url)
# Live keys: a list for O(1) random picks plus each id's index in it (swap-remove), so the client
# costs the same with 20,000 live keys as with 80 and the latency drift below is the server's.
live_ids, live_at, live_raw, dead, lock = [], {}, {}, set(), threading.Lock()

def add_live(kid, raw):
    live_at[kid] = len(live_ids); live_ids.append(kid); live_raw[kid] = raw

def pop_live(kid):
    i = live_at.pop(kid); last = live_ids.pop()
    if last != kid:
        live_ids[i] = last; live_at[last] = i
    return live_raw.pop(kid)
samples, failures, counts = [], [], {"requests": 0}
start = time.monotonic(); end = start + duration

def call(conn, method, path, body=None, headers=None):
    h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    h.update(headers or {})
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = conn.getresponse(); data = r.read()
    return r.status, (json.loads(data) if data else {})

def fail(what):
    with lock:
        failures.append(what)

def expect(status, want, what):
    if status != want: fail(f"{what}: HTTP {status}")

def any_live():
    with lock:
        if not live_ids: return None, None
        kid = random.choice(live_ids)
        return kid, live_raw[kid]

def take():
    with lock:
        if len(live_ids) < 40: return None, None
        kid = random.choice(live_ids); raw = pop_live(kid); dead.add(kid)
        return kid, raw

def create(conn):
    s, b = call(conn, "POST", "/v1/keys", {"owner_id": "soak", "name": "soak key"})
    expect(s, 201, "create")
    if s == 201:
        with lock: add_live(b["key_id"], b["api_key"])

def step(conn):
    d = random.randrange(100)
    if d < 70 or d < 82:
        kid, raw = any_live()
        if kid is None: return
        if d < 70:
            s, b = call(conn, "POST", "/v1/verify", {"key": raw})
            ok = s == 200 and (b.get("code") == "valid" or (b.get("code") == "key_revoked" and kid in dead))
            if not ok: fail(f"verify: HTTP {s} {b.get('code')}")
        else:
            conn.request("GET", "/v1/authz", headers={"X-API-Key": raw, "X-Original-URI": "/api/data"})
            r = conn.getresponse(); r.read()
            if not (r.status == 200 or (r.status == 401 and kid in dead)): fail(f"authz: HTTP {r.status}")
    elif d < 90 or len(live_ids) < 40:
        create(conn)
    elif d < 95:
        kid, _ = take()
        if kid is None: return
        s, b = call(conn, "POST", f"/v1/keys/{kid}/rotate", {"grace_period_hours": 0})
        expect(s, 201, "rotate")
        if s == 201:
            with lock: add_live(b["new_key"]["key_id"], b["new_key"]["api_key"])
    elif d < 98:
        kid, _ = take()
        if kid is None: return
        s, _ = call(conn, "POST", f"/v1/keys/{kid}/revoke", {"reason": "soak"})
        expect(s, 200, "revoke")
    else:
        kid, raw = take()
        if kid is None: return
        s, _ = call(conn, "POST", "/v1/leaks/reports?format=keygate",
                    {"findings": [{"key": raw, "file": "x", "line": 1}]})
        expect(s, 200, "leak report")

def drive():
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            step(conn)
        except Exception as e:
            fail(f"request failed: {type(e).__name__}")
            conn.close(); conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        t1 = time.monotonic()
        with lock:
            counts["requests"] += 1; samples.append((t0 - start, t1 - t0))

conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
for _ in range(80): create(conn)
start = time.monotonic(); end = start + duration
ts = [threading.Thread(target=drive) for _ in range(nthreads)]
for t in ts: t.start()
for t in ts: t.join()

def window(a, b):
    lat = sorted(l for (t, l) in samples if a <= t < b)
    if not lat: return "no requests"
    return (f"{len(lat) / (b - a):.0f} req/s, p50 {lat[len(lat) // 2] * 1000:.2f} ms,"
            f" p99 {lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000:.2f} ms")
n = counts["requests"]
print(f"== {n} requests in {duration} s from {nthreads} threads;"
      f" errors/unexpected: {len(failures)} ({100.0 * len(failures) / max(n, 1):.3f}%)")
for f in sorted(set(failures))[:20]: print("   ", f)
print("== first 60 s:", window(0, 60))
print("== last 60 s: ", window(duration - 60, duration))
sys.exit(1 if failures else 0)
PY
rc=$?
set -e
wait "$heap_job" 2>/dev/null || true
heap "end"
if grep -q " ERROR " "$work/server.log"; then echo "== server log has ERROR lines:"; grep " ERROR " "$work/server.log" | head -5 || true; fi
exit $rc
