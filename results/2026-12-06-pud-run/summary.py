#!/usr/bin/env python3
"""Medians of parent_us and child_run_us per row, for each kernel directory."""
import csv
import statistics
import sys

for d in sys.argv[1:]:
    rows = []
    for i in (1, 2):
        with open(f"{d}/fb{i}.csv") as f:
            rows += list(csv.DictReader(f))
    med = {}
    child = {}
    for r in rows:
        key = f"{r['case']} {int(r['size_mib']) >> 10 or r['size_mib']} {r['mode']}"
        med.setdefault(key, []).append(float(r['parent_us']))
        child.setdefault(key, []).append(float(r['child_run_us']))
    floor = statistics.median(med["floor 4 plain"])
    print(d)
    for k, v in med.items():
        m = statistics.median(v)
        c = statistics.median(child[k])
        print(f"  {k:22s} parent {m:9.0f} us  {m / floor:6.2f}x floor"
              f"  child runs {c / 1000:8.1f} ms  (n={len(v)})")
