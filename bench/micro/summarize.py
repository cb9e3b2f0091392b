#!/usr/bin/env python3
"""Markdown table from sb-micro's JSON output (--benchmark_out_format=json with repetitions).

usage: summarize.py sb-micro.json
CPU time per operation: median [min-max] over the repetitions; throughput from the median.
"""
import json
import statistics
import sys


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def main():
    data = json.load(open(sys.argv[1]))
    runs = {}
    order = []
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"]
        if name not in runs:
            runs[name] = []
            order.append(name)
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
        runs[name].append((b["cpu_time"] * scale, b.get("bytes_per_second"), b.get("items_per_second")))
    print("| benchmark | CPU time / op, median [min–max] | bytes/s (median) | items/s (median) |")
    print("|---|---:|---:|---:|")
    for name in order:
        r = runs[name]
        t = [x[0] for x in r]
        bps = statistics.median([x[1] for x in r]) if r[0][1] else None
        ips = statistics.median([x[2] for x in r]) if r[0][2] else None
        print(f"| `{name}` | {fmt_time(statistics.median(t))} [{fmt_time(min(t))}–{fmt_time(max(t))}] | "
              f"{f'{bps / 1e6:,.0f} MB/s' if bps else '—'} | {f'{ips / 1e6:,.2f} M/s' if ips else '—'} |")


if __name__ == "__main__":
    main()
