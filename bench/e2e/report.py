#!/usr/bin/env python3
"""Turns the results of bench/e2e/run.sh into Markdown tables.

usage: report.py results.jsonl meta.json [soak.csv [soak.json]]

Each metric is computed per round (added latency = path minus direct *in the same round*), then the median
over the rounds is shown, with [min-max] when there is more than one round.
"""
import json
import statistics
import sys

PATHS = ["direct", "nginx", "switchboard"]


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return "—"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def cell(values, digits=0):
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    m = statistics.median(values)
    if len(values) == 1:
        return fmt(m, digits)
    return f"{fmt(m, digits)} [{fmt(min(values), digits)}–{fmt(max(values), digits)}]"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}×"


def main():
    rows = load(sys.argv[1])
    meta = json.load(open(sys.argv[2]))
    soak_file = sys.argv[3] if len(sys.argv) > 3 else None
    soak_json = sys.argv[4] if len(sys.argv) > 4 else None
    tick_us = 1e6 / meta["clk_tck"]
    w = meta["workloads"]
    rounds = sorted({r["round"] for r in rows if r["round"] > 0})

    by = {}  # (round, path, workload) -> row
    for r in rows:
        by[(r["round"], r["path"], r["workload"])] = r

    def res(rnd, path, wl):
        r = by.get((rnd, path, wl))
        return r["result"] if r and "requests" in r["result"] else None

    def series(fn):
        return {p: [fn(rnd, p) for rnd in rounds] for p in PATHS}

    # --- per-round metrics -----------------------------------------------------------------------------
    def lat(q):
        # The mean of the round's two halves (run.sh runs them in A-B-C-C-B-A order), or the one there is.
        def f(rnd, p):
            vs = [(res(rnd, p, wl) or {}).get("latency_us", {}).get(q) for wl in ("latency", "latency_b")]
            vs = [v for v in vs if v is not None]
            return sum(vs) / len(vs) if vs else None
        return f

    def added(metric_fn):
        def f(rnd, p):
            a, d = metric_fn(rnd, p), metric_fn(rnd, "direct")
            return None if a is None or d is None or p == "direct" else a - d
        return f

    def rps(rnd, p):
        r = res(rnd, p, "throughput")
        return r["rps"] if r else None

    def cpu_per_req(rnd, p):
        row = by.get((rnd, p, "throughput"))
        if p == "direct" or not row or not row["result"].get("requests"):
            return None
        return row["proxy_cpu_ticks"] * tick_us / row["result"]["requests"]

    def mock_cpu_per_req(rnd, p):
        row = by.get((rnd, p, "throughput"))
        if not row or not row["result"].get("requests"):
            return None
        return row["mock_cpu_ticks"] * tick_us / row["result"]["requests"]

    def cpu_per_event(rnd, p):
        row = by.get((rnd, p, "streams"))
        if p == "direct" or not row or not row["result"].get("events"):
            return None
        return row["proxy_cpu_ticks"] * tick_us / row["result"]["events"]

    def ttft(q):
        return lambda rnd, p: (res(rnd, p, "streams") or {}).get("ttft_us", {}).get(q)

    def gap(q):
        return lambda rnd, p: (res(rnd, p, "streams") or {}).get("gap_us", {}).get(q)

    def total(wl, key):
        return {p: sum((res(rnd, p, wl) or {}).get(key, 0) for rnd in rounds) for p in PATHS}

    def rss_per_stream(rnd, p):
        row = by.get((rnd, p, "slow"))
        if p == "direct" or not row or not row["rss_peak_kb"]:
            return None
        return (row["rss_peak_kb"] - row["rss_before_kb"]) / w["slow"]

    lat50, lat99 = series(lat("p50")), series(lat("p99"))
    add50, add99 = series(added(lat("p50"))), series(added(lat("p99")))
    rps_s = series(rps)
    cpu = series(cpu_per_req)
    mcpu = series(mock_cpu_per_req)
    cpu_ev = series(cpu_per_event)
    t50, t99 = series(ttft("p50")), series(ttft("p99"))
    at50, at99 = series(added(ttft("p50"))), series(added(ttft("p99")))
    g50, g99 = series(gap("p50")), series(gap("p99"))
    rss_ps = series(rss_per_stream)

    st_total = total("streams", "streams")
    st_done = total("streams", "streams_done")
    co_ev = total("streams", "coalesced_events")
    co_reads = total("streams", "coalesced_reads")
    shared = total("streams", "chunk_shared_events")
    ev = total("streams", "events")
    slow_done = total("slow", "streams_done")
    slow_runs = {p: sum(1 for rnd in rounds if (rnd, p, "slow") in by) for p in PATHS}  # none with --only
    slow_co = total("slow", "coalesced_events")
    errors = {p: sum((by[k]["result"].get("http_errors", 0) + by[k]["result"].get("io_errors", 0) +
                      by[k]["result"].get("timeouts", 0))
                     for k in by if k[1] == p and k[0] > 0) for p in PATHS}
    n_rounds = len(rounds)

    def paired_ratio(key_series):
        # Median of the per-round ratios: each round's switchboard and nginx runs are minutes apart at most.
        rs = [a / b for a, b in zip(key_series["switchboard"], key_series["nginx"])
              if a is not None and b is not None and b > 0]
        if not rs:
            return "—"
        if len(rs) == 1:
            return f"{rs[0]:.2f}×"
        return f"{statistics.median(rs):.2f}× [{min(rs):.2f}–{max(rs):.2f}]"

    def row(label, key_series, digits=0, target="", with_ratio=True, direct=True):
        cells = [cell(key_series["direct"], digits) if direct else "—",
                 cell(key_series["nginx"], digits), cell(key_series["switchboard"], digits)]
        r = paired_ratio(key_series) if with_ratio else ""
        return f"| {label} | {' | '.join(cells)} | {r} | {target} |"

    out = []
    out.append(f"### End-to-end: direct vs nginx vs switchboard ({n_rounds} round{'s' if n_rounds > 1 else ''}"
               f"{', quick mode' if meta['quick'] else ''})")
    out.append("")
    out.append("Median over rounds, [min–max] across rounds. *Added* = path minus direct in the same round. "
               "The ratio column is the median of the per-round ratios.")
    out.append("")
    out.append("| metric | direct | nginx | switchboard | switchboard ÷ nginx | target |")
    out.append("|---|---:|---:|---:|---:|---|")
    out.append(row("latency c=1 p50 (µs)", lat50, with_ratio=False))
    out.append(row("latency c=1 p99 (µs)", lat99, with_ratio=False))
    out.append(row("**added** latency c=1 p50 (µs)", add50, target="≤ 1.2× nginx", direct=False))
    out.append(row("**added** latency c=1 p99 (µs)", add99, direct=False))
    out.append(row(f"requests/s c={w['rps_c']}", rps_s, target="≥ 0.9× nginx"))
    out.append(row("proxy CPU per request (µs)", cpu, target="≤ 1.5× nginx", direct=False))
    out.append(row("mock-upstream CPU per request (µs)", mcpu, with_ratio=False))
    out.append(row(f"stream TTFT p50 (µs), {w['streams']} streams", t50, with_ratio=False))
    out.append(row("stream TTFT p99 (µs)", t99, with_ratio=False))
    out.append(row("**added** TTFT p50 (µs)", at50, direct=False))
    out.append(row("**added** TTFT p99 (µs)", at99, target="≤ 250 µs", direct=False, with_ratio=False))
    out.append(row(f"inter-chunk gap p50 (µs), chunks every {w['stream_ms']} ms", g50, with_ratio=False))
    out.append(row("inter-chunk gap p99 (µs)", g99, with_ratio=False))
    out.append(row("proxy CPU per relayed stream event (µs)", cpu_ev, digits=1, direct=False))
    out.append("| events coalesced into one client read() / such reads (all rounds) | "
               + " | ".join(f"{co_ev[p]} / {co_reads[p]} (of {ev[p]:,} events)" for p in PATHS) + " | | 0 |")
    out.append("| events merged into one HTTP chunk by the path (all rounds) | "
               + " | ".join(f"{shared[p]}" for p in PATHS) + " | | 0 |")
    out.append("| streams ending in `[DONE]` (all rounds) | "
               + " | ".join(f"{st_done[p]} / {st_total[p]}" for p in PATHS) + " | | all |")
    out.append(f"| {w['slow']:,} concurrent slow streams completed with `[DONE]` (all rounds) | "
               + " | ".join(f"{slow_done[p]} / {slow_runs[p] * w['slow']}" if slow_runs[p] else "—" for p in PATHS)
               + " | | all |")
    # Only the first round opens 1,000 streams in a process that never had them: later rounds reuse the heap
    # that malloc kept from round 1, so their RSS deltas say little.
    first = {p: rss_ps[p][:1] for p in PATHS}
    out.append(row(f"RSS per slow stream (KB), {w['slow']:,} open, first round", first, digits=1,
                   target="≤ 20 KB", direct=False))
    peak = {p: [(by.get((rnd, p, "slow")) or {}).get("rss_peak_kb", 0) / 1024 or None for rnd in rounds]
            for p in PATHS}
    out.append(row(f"peak RSS with {w['slow']:,} streams open (MB)", peak, digits=1, direct=False))
    idle, after = meta["idle_rss_kb"], meta["after_rss_kb"]
    out.append(f"| idle RSS at start (MB) | — | {idle['nginx'] / 1024:.1f} | {idle['switchboard'] / 1024:.1f} | "
               f"{ratio(idle['switchboard'], idle['nginx'])} | ≤ 15 MB |")
    out.append(f"| idle RSS after the run (MB) | — | {after['nginx'] / 1024:.1f} | "
               f"{after['switchboard'] / 1024:.1f} | {ratio(after['switchboard'], after['nginx'])} | |")
    out.append("| failed requests (HTTP/IO errors, timeouts; all rounds) | "
               + " | ".join(str(errors[p]) for p in PATHS) + " | | 0 |")
    out.append("")
    out.append(f"Workloads per round: latency = {w['latency_n']:,} sequential non-stream requests, in two "
               f"halves with the paths in A-B-C-C-B-A order (a path's quantile is the mean of its halves'); "
               f"throughput = {w['rps_c']} connections for {w['rps_s']} s; streams = {w['streams']} connections each running "
               f"{w.get('stream_rounds', 1)} streams of {w['stream_chunks']} chunks at {w['stream_ms']} ms back to back, "
               f"starts spread over one stream's length; slow = {w['slow']:,} concurrent streams of "
               f"{w['slow_chunks']} chunks at {w['slow_ms']} ms. nginx RSS is master + worker "
               f"({meta['nginx_processes']} processes). {meta['placement']}. "
               f"Request logging: {'on for both (nginx access_log, switchboard LOG_LEVEL=info)' if meta['logs'] else 'off for both'}. "
               f"Measured part took {meta['elapsed_s']} s.")
    out.append("")

    # --- per-round detail --------------------------------------------------------------------------------
    out.append("<details><summary>Per round</summary>")
    out.append("")
    out.append("| round | path | lat p50 | lat p99 | rps | CPU/req µs | TTFT p50 | TTFT p99 | gap p99 | coalesced | "
               "merged | [DONE] | slow done | RSS/stream KB |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, rnd in enumerate(rounds):
        for p in PATHS:
            s = res(rnd, p, "streams") or {}
            sl = res(rnd, p, "slow") or {}
            out.append(f"| {rnd} | {p} | {fmt(lat50[p][i])} | {fmt(lat99[p][i])} | {fmt(rps_s[p][i])} | "
                       f"{fmt(cpu[p][i], 1)} | {fmt(t50[p][i])} | {fmt(t99[p][i])} | {fmt(g99[p][i])} | "
                       f"{s.get('coalesced_events', '—')} | {s.get('chunk_shared_events', '—')} | "
                       f"{s.get('streams_done', '—')} | "
                       f"{sl.get('streams_done', '—')} | {fmt(rss_ps[p][i], 1)} |")
    out.append("")
    out.append("</details>")

    # --- soak --------------------------------------------------------------------------------------------
    if soak_file:
        samples = []
        try:
            with open(soak_file) as f:
                for line in f:
                    if "," in line:
                        t, v = line.strip().split(",")
                        samples.append((int(t), int(v)))
        except FileNotFoundError:
            pass
        if samples:
            out.append("")
            out.append(f"### Soak: {meta['soak_min']} min, 50 concurrent streams through switchboard")
            out.append("")
            warm = [v for t, v in samples if t >= 60] or [v for _, v in samples]
            out.append(f"RSS (MB): first {samples[0][1] / 1024:.1f}, after 1 min {warm[0] / 1024:.1f}, "
                       f"max {max(v for _, v in samples) / 1024:.1f}, last {samples[-1][1] / 1024:.1f}; "
                       f"growth after the first minute {(warm[-1] - warm[0]) / 1024:+.1f} MB "
                       f"({len(samples)} samples every 10 s).")
            try:
                sj = json.load(open(soak_json)) if soak_json else None
            except (OSError, ValueError):
                sj = None
            if sj and "requests" in sj:
                out.append("")
                out.append(f"Load: {sj['streams']:,} streams ({sj['streams_done']:,} ended with `[DONE]`), "
                           f"{sj['events']:,} events, {sj['http_errors'] + sj['io_errors'] + sj['timeouts']} failed; "
                           f"TTFT p50/p99 {sj['ttft_us']['p50'] / 1000:.1f}/{sj['ttft_us']['p99'] / 1000:.1f} ms, "
                           f"gap p50/p99 {sj['gap_us']['p50'] / 1000:.1f}/{sj['gap_us']['p99'] / 1000:.1f} ms.")
            out.append("")
            out.append("Samples (s: MB): " + ", ".join(f"{t}: {v / 1024:.1f}" for t, v in samples))
    print("\n".join(out))


if __name__ == "__main__":
    main()
