"""The peer side of the benchmark protocol (`BenchPeer.swift`), shared by the PyTorch peers in this folder.

`serve(ready, run, describe)` prints `ready {json}`; then, for each `run` line read on stdin, resets the
peak-memory mark, times one `run()` under torch.inference_mode and prints `result {"seconds": s,
"cpu_seconds": c, "peak_gib": g, "rss_gib": r, ...describe(output)}` (c: the process's CPU time, all
threads; g: peak resident memory during the pass, weights included: VmHWM after resetting it through
/proc/self/clear_refs, so transient build-time allocations do not count); `quit` or end of input exits.
`describe` runs after the timing (checksums, sizes) and the output is dropped before the next pass.
"""
import json
import sys
import time

import torch


def status_gib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024 / 2**30
    return 0.0


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def serve(ready, run, describe=lambda output: {}):
    print("ready " + json.dumps(ready), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        if command != "run":
            print(f"error unknown command {command!r}", flush=True)
            continue
        reset_peak()
        with torch.inference_mode():
            t0, c0 = time.perf_counter(), time.process_time()
            output = run()
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            fields = {"seconds": seconds, "cpu_seconds": cpu, "peak_gib": status_gib("VmHWM"),
                      "rss_gib": status_gib("VmRSS")}
            fields.update(describe(output))
        print("result " + json.dumps(fields), flush=True)
        del output
