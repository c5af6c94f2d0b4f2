#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Summarise bench/compare's runs: parse wrk --latency output, print the table.

Input: the TSV that bench/compare writes, one line per wrk run:
    rep path conns target wrk_out cpu_ticks hwm_kb rss_kb new_upstream_conns
    upstream_cpu_ticks wrk_cpu_ms
where cpu_ticks is the measured processes' utime+stime delta over the run
(summed over processes; each process's counts all its threads), hwm_kb their
VmHWM after the run (reset before it where the kernel allows), rss_kb their
VmRSS right after the run (both summed over processes), new_upstream_conns the
delta of the upstream nginx's stub_status "accepts" counter over the run,
upstream_cpu_ticks the upstream nginx's utime+stime delta over the run (its
worker; with --workers > 1 also its master), and wrk_cpu_ms wrk's user+system
CPU time (-1 if unknown; the column may be missing in older files).

With --workers 1 (the default) the table is the single-core one. With more,
nothing was pinned, and each block also shows the CPU that wrk and the upstream
took during the runs, so the reader sees how the CPUs were shared.

Standard library only.
"""

import argparse
import csv
import re
import statistics
import sys

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}
DUR_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def to_ms(text):
    """'812.00us' / '1.23ms' / '2.01s' / '1.00m' -> milliseconds."""
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"unknown latency {text!r}")
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def parse_wrk(path):
    """The numbers bench/compare needs from one wrk --latency output."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    out = {"requests": 0, "seconds": None, "rps": 0.0, "p50": None, "p99": None,
           "non2xx": 0, "socket_errors": 0, "ok": False}
    m = re.search(r"^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m|h)", text, re.M)
    if m:
        out["requests"] = int(m.group(1))
        out["seconds"] = float(m.group(2)) * DUR_S[m.group(3)]
    m = re.search(r"^Requests/sec:\s*([0-9.]+)", text, re.M)
    if m:
        out["rps"] = float(m.group(1))
        out["ok"] = True
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(rf"^\s*{pct}(?:\.0+)?%\s+(\S+)", text, re.M)
        if m:
            out[key] = to_ms(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["socket_errors"] = sum(int(g) for g in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
    return out


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=2, width=0):
    if x is None:
        s = "-"
    elif isinstance(x, str):
        s = x
    else:
        s = f"{x:.{digits}f}"
    return s.rjust(width)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clk-tck", type=int, required=True)
    ap.add_argument("--targets", required=True, help="space-separated, in table order")
    ap.add_argument("--runs-out", help="write parsed per-run data here (TSV)")
    ap.add_argument("--workers", type=int, default=1,
                    help="proxy workers; > 1 = the unpinned multi-core mode")
    ap.add_argument("--ncpu", type=int, default=1, help="CPUs of the machine (for all%%)")
    ap.add_argument("runs_tsv")
    args = ap.parse_args()
    targets = args.targets.split()
    us_per_tick = 1e6 / args.clk_tck
    multi = args.workers > 1

    def pct(cpu_s, wall_s):  # CPU seconds as % of one CPU over the run
        return 100.0 * cpu_s / wall_s if (wall_s and cpu_s is not None) else None

    runs = []
    with open(args.runs_tsv, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            w = parse_wrk(row["wrk_out"])
            ticks = int(row["cpu_ticks"])
            up_s = int(row["upstream_cpu_ticks"]) / args.clk_tck
            wrk_ms = int(row.get("wrk_cpu_ms") or -1)
            wrk_s = wrk_ms / 1000.0 if wrk_ms >= 0 else None
            # everything the bench ran: the measured target, wrk and the upstream (once:
            # for target 'upstream' the measured processes are the upstream)
            all_s = None
            if wrk_s is not None:
                all_s = ticks / args.clk_tck + wrk_s + (up_s if row["target"] != "upstream" else 0.0)
            r = {
                "rep": int(row["rep"]), "path": row["path"], "conns": int(row["conns"]),
                "target": row["target"], **w,
                "cpu_ticks": ticks,
                "cpu_us_per_req": ticks * us_per_tick / w["requests"] if w["requests"] else None,
                "cpu_pct": (100.0 * ticks / args.clk_tck / w["seconds"]) if w["seconds"] else None,
                "hwm_mib": int(row["hwm_kb"]) / 1024.0,
                "rss_mib": int(row["rss_kb"]) / 1024.0,
                "new_up": int(row["new_upstream_conns"]),
                "up_cpu_us_per_req": (int(row["upstream_cpu_ticks"]) * us_per_tick / w["requests"]
                                      if w["requests"] else None),
                "up_cpu_s": up_s,
                "up_pct": pct(up_s, w["seconds"]),
                "wrk_cpu_s": wrk_s,
                "wrk_pct": pct(wrk_s, w["seconds"]),
                "all_pct": (pct(all_s, w["seconds"]) / args.ncpu
                            if (all_s is not None and w["seconds"]) else None),
            }
            if not w["ok"]:
                print(f"warning: could not parse {row['wrk_out']}", file=sys.stderr)
            runs.append(r)

    if args.runs_out:
        cols = ["rep", "path", "conns", "target", "rps", "requests", "seconds", "p50", "p99",
                "non2xx", "socket_errors", "cpu_ticks", "cpu_us_per_req", "cpu_pct",
                "hwm_mib", "rss_mib", "new_up", "up_cpu_us_per_req", "up_cpu_s", "up_pct",
                "wrk_cpu_s", "wrk_pct", "all_pct"]
        with open(args.runs_out, "w", newline="") as f:
            wr = csv.writer(f, delimiter="\t", lineterminator="\n")
            wr.writerow(cols)
            for r in runs:
                wr.writerow(["" if r[c] is None else (f"{r[c]:.4f}" if isinstance(r[c], float) else r[c])
                             for c in cols])

    # summary per (path, conns, target)
    paths = list(dict.fromkeys(r["path"] for r in runs))
    conns = sorted(set(r["conns"] for r in runs))
    summary = {}
    for r in runs:
        summary.setdefault((r["path"], r["conns"], r["target"]), []).append(r)
    agg = {}
    for key, rs in summary.items():
        rps = [r["rps"] for r in rs]
        agg[key] = {
            "n": len(rs),
            "rps": median(rps), "rps_min": min(rps), "rps_max": max(rps),
            "p50": median(r["p50"] for r in rs),
            "p99": median(r["p99"] for r in rs),
            "errors": sum(r["non2xx"] + r["socket_errors"] for r in rs),
            "cpu": median(r["cpu_us_per_req"] for r in rs),
            "cpu_pct": median(r["cpu_pct"] for r in rs),
            "hwm": max(r["hwm_mib"] for r in rs),
            "rss": median(r["rss_mib"] for r in rs),
            "new_up": median(r["new_up"] for r in rs),
            "up_cpu": median(r["up_cpu_us_per_req"] for r in rs),
            "up_pct": median(r["up_pct"] for r in rs),
            "wrk_pct": median(r["wrk_pct"] for r in rs),
            "all_pct": median(r["all_pct"] for r in rs),
        }

    # Paired ratios: the runs of one repetition at one point ran back to back (interleaved), so
    # the noise of that moment is shared; the ratio is taken per repetition, then the median.
    run_key = {"rps": "rps", "p99": "p99", "cpu": "cpu_us_per_req"}

    def paired_ratio(key_a, key_b, k):
        by_rep = {r["rep"]: r for r in summary.get(key_b, [])}
        ratios = [ratio(r[run_key[k]], by_rep[r["rep"]][run_key[k]])
                  for r in summary.get(key_a, []) if r["rep"] in by_rep]
        return median([x for x in ratios if x is not None])

    refs = [t for t in ("nginx", "haproxy") if t in targets]
    short = {"nginx": "ngx", "haproxy": "hap"}
    head = ["target", "req/s median [min-max]", "p50ms", "p99ms", "errors", "cpu_us/req",
            "cpu%", "peakMiB", "rssMiB", "new_up_conns", "up_us/req"]
    for ref in refs:
        head += [f"rps/{short[ref]}", f"p99/{short[ref]}", f"cpu/{short[ref]}"]
    widths = [11, 28, 7, 7, 7, 10, 6, 8, 7, 12, 9] + [8, 8, 8] * len(refs)
    if multi:
        head += ["wrk%", "up%", "all%"]
        widths += [6, 6, 6]

    print("Medians over repetitions; errors = non-2xx + socket errors, summed over repetitions.")
    if not multi:
        print("cpu_us/req and cpu% are for the measured process (the proxy; for 'upstream', the")
        print("upstream nginx worker); peakMiB = max VmHWM per run, rssMiB = VmRSS after the run;")
        print("new_up_conns = new connections accepted by the upstreams during one run;")
        print("up_us/req = CPU the upstream nginx worker spent per request (it shares a CPU with wrk).")
        print("Ratios are paired: this target's value divided by nginx's / HAProxy's in the same")
        print("repetition at the same point (they ran back to back), then the median of those ratios.")
        print("A proxy at well under 100% cpu was not the bottleneck (CPU shared by wrk + upstream was).")
    else:
        total = 100 * args.ncpu
        print(f"{args.workers} workers per proxy; nothing pinned: proxy, wrk and upstream share all {args.ncpu} CPUs.")
        print("cpu_us/req and cpu% are for the measured processes, summed (the proxy: nginx master +")
        print("workers, all threads of HAProxy / switchboard; for 'upstream', the upstream nginx master +")
        print(f"worker); cpu% is % of one CPU, so up to {min(args.workers, args.ncpu) * 100}.")
        print("peakMiB = max per run of the VmHWM summed over those processes (shared pages count once")
        print("per process), rssMiB = summed VmRSS after the run;")
        print("new_up_conns = new connections accepted by the upstreams during one run;")
        print("up_us/req = CPU the upstream nginx spent per request.")
        print("Ratios are paired: this target's value divided by nginx's / HAProxy's in the same")
        print("repetition at the same point (they ran back to back), then the median of those ratios.")
        print("How the CPUs were shared, medians over repetitions, each as % of one CPU over the run:")
        print("wrk% = wrk (all its threads), up% = the upstream nginx (master + worker);")
        print(f"all% = proxy + wrk + upstream as % of the whole machine ({total}% = 100): near 100 means")
        print("the machine was full and the proxy competed with wrk and the upstream for CPU.")
    for path in paths:
        for c in conns:
            if not any((path, c, t) in agg for t in targets):
                continue
            print()
            print(f"== path {path}, {c} connections ==")
            print(" ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(head, widths))))
            for t in targets:
                a = agg.get((path, c, t))
                if not a:
                    continue
                spread = f"{a['rps']:.0f} [{a['rps_min']:.0f}-{a['rps_max']:.0f}]"
                cells = [t.ljust(widths[0]), spread.rjust(widths[1]),
                         fmt(a["p50"], 2, widths[2]), fmt(a["p99"], 2, widths[3]),
                         fmt(str(a["errors"]), 0, widths[4]), fmt(a["cpu"], 2, widths[5]),
                         fmt(a["cpu_pct"], 0, widths[6]), fmt(a["hwm"], 1, widths[7]),
                         fmt(a["rss"], 1, widths[8]), fmt(a["new_up"], 0, widths[9]),
                         fmt(a["up_cpu"], 2, widths[10])]
                i = 11
                for ref in refs:
                    b = agg.get((path, c, ref))
                    same = t == ref
                    for k in ("rps", "p99", "cpu"):
                        v = None if (same or not b) else paired_ratio((path, c, t), (path, c, ref), k)
                        cells.append(fmt(v, 2, widths[i]))
                        i += 1
                if multi:
                    for k in ("wrk_pct", "up_pct", "all_pct"):
                        cells.append(fmt(a[k], 0, widths[i]))
                        i += 1
                print(" ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
