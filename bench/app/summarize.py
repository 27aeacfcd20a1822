#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Prints the app bench's runs (JSON from src/app/tessera-bench-probe.c) as a
# Markdown table, with the median and the worst of each figure against the
# targets: first screen < 1.5 s, no frame > 50 ms, peak RSS < 400 MB.
#
# usage: summarize.py RUN.json...
import json
import statistics
import sys

FIRST_MS, FRAME_MS, HWM_MB = 1500.0, 50.0, 400.0


def row(name, r):
    return "| %s | %.0f ms | %.1f ms | %.1f ms | %.1f / %.1f ms | %.1f ms | %d / %d | %d | %.0f MB | %.1f s | %d |" % (
        name, r["first"], r["frame_max"], r["paint_max"], r["worst_cpu"], r["worst_wait"],
        r["paint_p99"], r["over50"], r["frames"], r["cpu_over50"], r["hwm"], r["scroll_s"], r["n_items"])


def main():
    runs = []
    for path in sys.argv[1:]:
        with open(path) as f:
            j = json.load(f)
        if "error" in j:
            print("%s: %s" % (path, j["error"]))
        runs.append({
            "first": j["first_screen_ms"],
            "frame_max": j["frame_clock_interval"]["max_ms"],
            "paint_max": j["paint_interval"]["max_ms"],
            "paint_p99": j["paint_interval"]["p99_ms"],
            "over50": j["paint_interval"]["over_50ms"],
            "frames": j["paint_interval"]["count"],
            "hwm": j["vm_hwm_kb"] / 1024.0,
            "scroll_s": j["scroll_s"],
            "n_items": j["n_items"],
            "worst_cpu": j.get("worst_paint_interval", {}).get("main_thread_cpu_ms", -1),
            "worst_wait": j.get("worst_paint_interval", {}).get("main_thread_runqueue_wait_ms", -1),
            "cpu_over50": j.get("interval_main_thread_cpu", {}).get("over_50ms", -1),
            "error": "error" in j,
        })
    if not runs:
        sys.exit("no runs")

    print("| run | first screen | worst frame (frame clock) | worst paint interval | in it: main thread on CPU / waiting for a CPU | p99 paint interval | paints > 50 ms | intervals with > 50 ms of main-thread CPU | peak RSS | scroll | images |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(runs):
        print(row(str(i + 1), r))
    keys = ["first", "frame_max", "paint_max", "worst_cpu", "worst_wait", "paint_p99", "over50", "frames", "cpu_over50", "hwm", "scroll_s", "n_items"]
    med = {k: statistics.median(r[k] for r in runs) for k in keys}
    worst = {k: max(r[k] for r in runs) for k in keys}
    worst["n_items"] = min(r["n_items"] for r in runs)
    print(row("median", med))
    print(row("worst", worst))
    print()
    ok = not any(r["error"] for r in runs)
    for label, value, target, unit in (
            ("first screen", worst["first"], FIRST_MS, "ms"),
            ("worst frame", max(worst["frame_max"], worst["paint_max"]), FRAME_MS, "ms"),
            ("peak RSS", worst["hwm"], HWM_MB, "MB")):
        verdict = "PASS" if 0 <= value < target and ok else "FAIL"
        print("- %s: worst %.1f %s, target < %.0f %s: %s" % (label, value, unit, target, unit, verdict))


if __name__ == "__main__":
    main()
