#!/usr/bin/env bash
# Runs every JMH benchmark in one JVM session and prints a Markdown table of the results with
# the ratios PRODUCT.md §9 asks for (each against the baseline measured in the same run).
# Usage: bench/jmh.sh [extra JMH args]   (default: 1 fork, 3x2s warmup, 5x2s measurement, 1 thread)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./mvnw -q -B -DskipTests -pl keygate-bench -am package >&2
out="$(mktemp -d)/jmh.json"
java -jar keygate-bench/target/benchmarks.jar -f 1 -wi 3 -i 5 -w 2s -r 2s -t 1 \
  -rf json -rff "$out" "$@" >&2
python3 - "$out" <<'PY'
import json, sys, platform, os, datetime, subprocess
rows = json.load(open(sys.argv[1]))
score = {}
for r in rows:
    name = r["benchmark"].rsplit(".", 2)
    label = name[-2] + "." + name[-1]
    if r.get("params"):
        label += "[" + ",".join(f"{k}={v}" for k, v in r["params"].items()) + "]"
    score[label] = (r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"], r["primaryMetric"]["scoreUnit"])
base = score.get("BaselineBenchmark.hmacPlusMapGet", (None,))[0]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
print(f"JMH run {datetime.date.today()} on {os.cpu_count()} cores ({cpu}), Java {platform.python_version() and subprocess.run(['java','-version'],capture_output=True,text=True).stderr.splitlines()[0]}\n")
print("| Benchmark | Score | ± | Unit | Ratio to baseline |")
print("|---|---:|---:|---|---:|")
for label, (s, e, u) in sorted(score.items()):
    ratio = f"{s / base:.2f}×" if base and u == "ops/us" else ""
    print(f"| {label} | {s:,.3f} | {e:,.3f} | {u} | {ratio} |")
scans = {k: v for k, v in score.items() if k.startswith("ScannerBenchmark.scan")}
plain = scans.get("ScannerBenchmark.scan[imported=none]", (None,))[0]
for label, (s, e, u) in sorted(scans.items()):
    vs = f"; {s / plain:.2f}× the run without imported prefixes" if plain and "=none" not in label else ""
    print(f"\nScanner {label}: {s * 16:,.0f} MB/s on one core (16 MB corpus × {s:.2f} scans/s){vs}.")
PY
