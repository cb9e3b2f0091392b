#!/usr/bin/env python3
"""Where a proxy's time goes in a request at concurrency 1, from a CPU's scheduler switches and system calls.

Reads `perf script --ns -F comm,tid,time,event,trace` of `perf record -C CPU -e sched:sched_switch,
raw_syscalls:sys_enter,raw_syscalls:sys_exit` on the CPU that runs the proxy and the mock upstream (nothing else),
and prints one JSON object: the number of requests followed and the median of each phase, in microseconds:

  p1_request   switched in from idle (the client's request came) to the start of the send to the upstream
  p2_forward   that send, and what the proxy does after it until it sleeps and the upstream runs
  upstream     the upstream's turn on the CPU (same for both proxies: a check of the placement)
  p3_answer    switched in from the upstream (its answer came) to the start of the send to the client
  p4_send      the send to the client
  p5_after     after that send until the proxy sleeps (off the client's path at concurrency 1)

A send is sendmsg, sendto or writev. Requests whose events do not follow this order are skipped.

  phases.py PROXY_COMM UPSTREAM_COMM < perf-script-output
  phases.py --report < lines    (those objects with "round" and "path" added, one per line: a Markdown table)
"""
import json
import re
import statistics
import sys

LINE = re.compile(r"^\s*(.+?)\s+(\d+)\s+(\d+\.\d+):\s+(\S+):\s*(.*)$")
SEND = re.compile(r"NR (46|44|20) ")
KEYS = ("p1_request", "p2_forward", "upstream", "p3_answer", "p4_send", "p5_after")
SWITCH = re.compile(r"prev_comm=(.+?) prev_pid=.*==> next_comm=(.+?) next_pid=")


def report():
    rows = [json.loads(line) for line in sys.stdin if line.strip()]
    paths = [p for p in ("nginx", "switchboard") if any(r["path"] == p and r.get("requests") for r in rows)]
    if not paths:
        print("phases: no request could be followed in the traces")
        return

    def series(path, key):
        if key == "p1+p3":
            return [r["p1_request"] + r["p3_answer"] for r in rows if r["path"] == path and r.get("requests")]
        return [r[key] for r in rows if r["path"] == path and r.get("requests") and r.get(key) is not None]

    def cell(v):
        return f"{statistics.median(v):.1f} [{min(v):.1f}–{max(v):.1f}]" if v else "—"

    n = {p: sum(r.get("requests", 0) for r in rows if r["path"] == p) for p in paths}
    print("Phases of a request at concurrency 1 (µs; median over the traced runs of each run's median [min–max]; "
          "perf on the proxy's CPU: " + ", ".join(f"{p} {n[p]:,} requests" for p in paths) + ")")
    print()
    print("| phase | " + " | ".join(paths) + (" | switchboard − nginx |" if len(paths) == 2 else " |"))
    print("|---|" + "---:|" * (len(paths) + (1 if len(paths) == 2 else 0)))
    for key in KEYS + ("p1+p3",):
        line = f"| {key} | " + " | ".join(cell(series(p, key)) for p in paths)
        if len(paths) == 2:
            a, b = series("nginx", key), series("switchboard", key)
            line += f" | {statistics.median(b) - statistics.median(a):+.1f}" if a and b else " | —"
        print(line + " |")


def main():
    if sys.argv[1:] == ["--report"]:
        report()
        return
    proxy, upstream = sys.argv[1], sys.argv[2]
    phases = {k: [] for k in KEYS}
    state, mark = "idle", 0.0
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        comm, t, event, trace = m.group(1), float(m.group(3)) * 1e6, m.group(4), m.group(5)
        if event == "sched:sched_switch":
            s = SWITCH.search(trace)
            if not s:
                continue
            prev, nxt = s.group(1), s.group(2)
            if prev.startswith("swapper") and nxt == proxy:
                state, mark = "request", t
            elif prev == proxy and nxt == upstream and state == "forward":
                phases["p2_forward"].append(t - mark)
                state, mark = "upstream", t
            elif prev == upstream and nxt == proxy and state == "upstream":
                phases["upstream"].append(t - mark)
                state, mark = "answer", t
            elif prev == proxy and nxt.startswith("swapper") and state == "after":
                phases["p5_after"].append(t - mark)
                state = "idle"
            elif prev == proxy or nxt == proxy:
                state = "idle"  # any other switch of the proxy: not a request of the expected shape
            continue
        if comm != proxy:
            continue
        if event == "raw_syscalls:sys_enter" and SEND.match(trace):
            if state == "request":
                phases["p1_request"].append(t - mark)
                state, mark = "forward", t
            elif state == "answer":
                phases["p3_answer"].append(t - mark)
                state, mark = "send", t
        elif event == "raw_syscalls:sys_exit" and state == "send" and SEND.match(trace):
            phases["p4_send"].append(t - mark)
            state, mark = "after", t
    complete = len(phases["p5_after"])
    out = {"requests": complete}
    for k, v in phases.items():
        out[k] = round(statistics.median(v), 2) if v else None
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
