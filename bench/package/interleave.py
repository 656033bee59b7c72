#!/usr/bin/env python3
"""Runs benchmark commands interleaved (every round runs each command once,
in an order shuffled per round with a fixed seed) so that a change in the
machine's load, or the writeback a command leaves behind for the next one,
hits every command alike; writes hyperfine-like JSON (median/min/max wall, mean user
and system CPU per command).

usage: interleave.py RUNS OUT.json NAME CMD [NAME CMD ...]
"""
import json, random, resource, statistics, subprocess, sys, time

runs, out = int(sys.argv[1]), sys.argv[2]
pairs = list(zip(sys.argv[3::2], sys.argv[4::2]))

def once(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime

for _, cmd in pairs:  # warm-up: caches, page cache of the input
    once(cmd)
samples = {name: [] for name, _ in pairs}
rng = random.Random(1)
for i in range(runs):
    order = pairs[:]
    rng.shuffle(order)
    for name, cmd in order:
        samples[name].append(once(cmd))
    print(f"round {i + 1}/{runs}: " + ", ".join(f"{n} {samples[n][-1][0]:.2f}s" for n, _ in pairs), file=sys.stderr)

results = []
for name, cmd in pairs:
    walls = [s[0] for s in samples[name]]
    results.append({"command": name, "cmd": cmd, "median": statistics.median(walls), "min": min(walls),
                    "max": max(walls), "user": statistics.mean(s[1] for s in samples[name]),
                    "system": statistics.mean(s[2] for s in samples[name]), "times": walls})
json.dump({"results": results}, open(out, "w"), indent=1)
