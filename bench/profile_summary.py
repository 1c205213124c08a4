"""GPU time by kernel from a Chrome trace (bench/train_throughput.cpp or bench/peer_gpt.py with
LOCALIST_PROFILE=FILE): total milliseconds, share and count of the top kernels, per step.
Usage: python bench/profile_summary.py TRACE.json [STEPS=3] [TOP=20]"""
import collections, json, sys

trace, steps = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
top = int(sys.argv[3]) if len(sys.argv) > 3 else 20
events = json.load(open(trace))
events = events["traceEvents"] if isinstance(events, dict) else events
total, count = collections.Counter(), collections.Counter()
for e in events:
    if e.get("cat") in ("kernel", "gpu_memcpy", "gpu_memset") and "dur" in e:
        name = e["name"][:90]
        total[name] += e["dur"] / 1000.0
        count[name] += 1
all_ms = sum(total.values())
print(f"GPU busy {all_ms / steps:.2f} ms per step over {steps} steps, {sum(count.values()) // steps} kernels per step")
print("| kernel | ms/step | share | calls/step |\n|---|---|---|---|")
for name, ms in total.most_common(top):
    print(f"| `{name}` | {ms / steps:.2f} | {100 * ms / all_ms:.1f} % | {count[name] // steps} |")
