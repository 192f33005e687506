#!/usr/bin/env bash
# The speed targets of DESIGN §7, measured in one run:
#  1. the codec benchmarks (codec/benches/ws.rs, sse.rs and ws_deflate.rs: ours and the peer
#     crate on the same inputs in the same run), summarised as one table of ratios ours / peer,
#     and the read-loop rows (ws-read-*) as a second table with both peers, tungstenite and
#     fastwebsockets;
#  2. the runner's wall time for the core cases (all but permessage-deflate, 12.x and 13.x:
#     Autobahn's 301 and wirecheck's own) and for the 216 compression cases against its
#     in-process reference server;
#  3. `wirecheck proxy` (conformance/benches/proxy.rs): a WebSocket echo directly, through a
#     plain TCP relay (tokio's copy_bidirectional) and through the proxy, 1 MiB and 64 B.
# Nothing here asserts: the table says whether each target was met on this machine.
#
# Usage: scripts/bench.sh [criterion options]   (default: --warm-up-time 1 --measurement-time 2)
# Takes about 15 minutes on 2 cores. Needs python3 to read criterion's JSON.
set -euo pipefail
cd "$(dirname "$0")/.."

criterion_args=("$@")
if [ ${#criterion_args[@]} -eq 0 ]; then
    criterion_args=(--warm-up-time 1 --measurement-time 2 --sample-size 20)
fi

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
results="$target_dir/criterion"

echo "== codec benchmarks (criterion ${criterion_args[*]})" >&2
# Only this run's results go into the table.
rm -rf "$results"/ws-* "$results"/sse-* "$results"/proxy-*
cargo bench -p wirecheck-codec --bench ws --bench sse --bench ws_deflate -- "${criterion_args[@]}" >&2
echo "== proxy benchmark" >&2
cargo bench -p wirecheck --bench proxy -- "${criterion_args[@]}" >&2

echo "== runner: the core cases (all but 12.x, 13.x) against the reference server" >&2
cargo build --release -p wirecheck >&2
reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
start=$(date +%s.%N)
target/release/wirecheck ws --exclude '12.*,13.*' --report-dir "$reports" --format json >"$reports/run.json"
end=$(date +%s.%N)
echo "== runner: the 216 compression cases against the reference server" >&2
deflate_start=$(date +%s.%N)
target/release/wirecheck ws --cases '12.*,13.*' --report-dir "$reports/deflate" --format json >"$reports/deflate.json"
deflate_end=$(date +%s.%N)

python3 - "$results" "$reports/run.json" "$start" "$end" "$deflate_start" "$deflate_end" <<'EOF'
import json, os, platform, subprocess, sys

results, run_json, start, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
deflate_wall = float(sys.argv[6]) - float(sys.argv[5])

def mib_s(group, function):
    """Throughput in MiB/s from the median time per iteration (robust to a noisy neighbour)."""
    base = os.path.join(results, group, function, "new")
    with open(os.path.join(base, "estimates.json")) as f:
        ns = json.load(f)["median"]["point_estimate"]
    with open(os.path.join(base, "benchmark.json")) as f:
        nbytes = json.load(f)["throughput"]["Bytes"]
    return nbytes / (ns / 1e9) / (1 << 20)

rows = []  # (workload, ours, peer, ratio, target, met)

def versus(label, group, peer, target):
    ours, theirs = mib_s(group, "ours"), mib_s(group, peer)
    ratio = ours / theirs
    met = "" if target is None else ("yes" if ratio >= target else "NO")
    rows.append((label, ours, theirs, ratio, "" if target is None else f">= {target:g}x", met))

sizes = [("16B", "16 B", 3), ("125B", "125 B", 3), ("1KiB", "1 KiB", None),
         ("64KiB", "64 KiB", None), ("1MiB", "1 MiB", 1.5)]
for kind, kind_label in [("ascii", "ASCII text"), ("utf8", "UTF-8 text"), ("binary", "binary")]:
    for size, size_label, target in sizes:
        for feed, feed_label in [("whole", "whole"), ("1460", "1460 B reads")]:
            versus(f"ws decode {kind_label}, {size_label}, {feed_label}",
                   f"ws-decode-{kind}-{size}-{feed}", "tungstenite", target)
for size, size_label, _ in sizes:
    versus(f"ws encode + mask, {size_label}", f"ws-encode-{size}", "tungstenite", None)
for size, size_label, _ in sizes:
    versus(f"ws encode + mask, {size_label} (fastwebsockets)", f"ws-encode-{size}", "fastwebsockets", 1)
versus("sse small events, 16 KiB chunks", "sse-small-16KiB", "eventsource-stream", 10)
versus("sse small events, 1460 B chunks", "sse-small-1460B", "eventsource-stream", 10)
versus("sse small events, 64 B chunks", "sse-small-64B", "eventsource-stream", 10)
versus("sse small events, 1 B chunks", "sse-small-1B", "eventsource-stream", 10)
versus("sse 64 KiB data line, 64 B chunks", "sse-64KiB-line-64B", "eventsource-stream", 10)

# Linearity (ours only): 1-byte chunks against the same input whole, at two sizes; the
# last row compares the per-byte cost of 1-byte chunks between the two sizes (a parser
# that re-scans a partial line would fall to 1/16 going from 64 KiB to 1 MiB).
for size, size_label in [("64KiB", "64 KiB"), ("1MiB", "1 MiB")]:
    one, whole = mib_s(f"sse-linear-{size}", "1B"), mib_s(f"sse-linear-{size}", "whole")
    rows.append((f"sse {size_label} data line, ours: 1 B chunks / whole", one, whole, one / whole, "", ""))
small, large = mib_s("sse-linear-64KiB", "1B"), mib_s("sse-linear-1MiB", "1B")
rows.append(("sse 1 B chunks, ours: 1 MiB line / 64 KiB line", large, small, large / small, ">= 0.5x",
             "yes" if large / small >= 0.5 else "NO"))

# Compressed echo (permessage-deflate, level 1, no context takeover) against soketto.
for data, data_label in [("text", "JSON-like text"), ("noise", "noise")]:
    for size, size_label in [("1KiB", "1 KiB"), ("16KiB", "16 KiB"), ("256KiB", "256 KiB")]:
        versus(f"ws deflate echo {data_label}, {size_label} (soketto)", f"ws-deflate-echo-{data}-{size}",
               "soketto", None)

# The proxy: the same echo through it, against a direct connection and a plain relay.
def us(group, function):
    with open(os.path.join(results, group, function, "new", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"] / 1e3
direct, relay, proxied = (mib_s("proxy-echo-1MiB", f) for f in ("direct", "relay", "proxied"))
rows.append(("proxy 1 MiB echo: proxied / direct", proxied, direct, proxied / direct, ">= 0.8x",
             "yes" if proxied / direct >= 0.8 else "NO"))
rows.append(("proxy 1 MiB echo: proxied / plain TCP relay", proxied, relay, proxied / relay, "", ""))
added = us("proxy-echo-64B", "proxied") - us("proxy-echo-64B", "direct")
proxy_latency = (f"Proxy: a 64 B echo takes {us('proxy-echo-64B', 'direct'):.0f} us direct, "
                 f"{us('proxy-echo-64B', 'relay'):.0f} us through a plain relay, "
                 f"{us('proxy-echo-64B', 'proxied'):.0f} us through the proxy (+{added:.0f} us)")

with open(run_json) as f:
    run = json.load(f)
wall = end - start
total = run["summary"]["total"]

cpu = "unknown CPU"
try:
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
except OSError:
    pass
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()

print(f"Machine: {cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; {rustc}")
print("Throughput is payload (WebSocket) or input (SSE) bytes over the median time per iteration.")
print("In the `ours: A / B` rows both columns are ours: A, then B (linear work under 1-byte chunks).")
print()
w = max(len(r[0]) for r in rows)
print(f"| {'workload':<{w}} | ours MiB/s | peer MiB/s |    ratio | target  | met |")
print(f"|{'-' * (w + 2)}|-----------:|-----------:|---------:|---------|-----|")
def speed(v):
    return f"{v:.1f}" if v < 10 else f"{v:.0f}"
for label, ours, theirs, ratio, target, met in rows:
    print(f"| {label:<{w}} | {speed(ours):>10} | {speed(theirs):>10} | {ratio:>7.2f}x | {target:<7} | {met:<3} |")
print()
# Everything but 12.x/13.x: Autobahn's 301 core cases and wirecheck's own.
runner_met = "yes" if wall < 3 else "NO"
print(f"Runner: {total} cases (Autobahn's 301 core cases and wirecheck's own) against the reference "
      f"server in {wall:.2f} s wall (target < 3 s on 2 cores): {runner_met}")
all_wall = wall + deflate_wall
print(proxy_latency)
print()
print("Read loop (each read copies 1460 B, 64 KiB or 1 MiB into a buffer, then decode):")
print("ours = the default receiver (text checked as it arrives); in place = text decoded in place.")
print("| workload | ours MiB/s | in place MiB/s | tungstenite MiB/s | fastwebsockets MiB/s | ours / tungstenite | best ours / fastwebsockets |")
print("|---|---:|---:|---:|---:|---:|---:|")
for kind, kind_label in [("ascii", "ASCII text"), ("utf8", "UTF-8 text"), ("binary", "binary")]:
    for size, size_label in [("125B", "125 B"), ("64KiB", "64 KiB"), ("1MiB", "1 MiB")]:
        for read, read_label in [("1460", "1460 B"), ("64KiB", "64 KiB"), ("1MiB", "1 MiB")]:
            g = f"ws-read-{kind}-{size}-{read}"
            ours, tung, fast = mib_s(g, "ours"), mib_s(g, "tungstenite"), mib_s(g, "fastwebsockets")
            inplace = mib_s(g, "ours-inplace") if kind != "binary" else None
            best = max(ours, inplace or 0)
            print(f"| {kind_label}, {size_label} messages, {read_label} reads | {speed(ours)} | "
                  f"{speed(inplace) if inplace else '-'} | {speed(tung)} | {speed(fast)} | "
                  f"{ours / tung:.2f}x | {best / fast:.2f}x |")
print(f"Runner: the 216 compression cases in {deflate_wall:.1f} s wall; all 517 in {all_wall:.1f} s "
      f"(target < 30 s on 2 cores): {'yes' if all_wall < 30 else 'NO'}")
EOF
