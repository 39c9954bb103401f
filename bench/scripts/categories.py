#!/usr/bin/env python3
"""Splits a `perf record -a` profile of a stride-bench scenario into where the CPU goes.

    bench/scripts/categories.py perf.data CPU_US_PER_REQUEST

Reads `perf report --no-children --sort comm,dso,sym -g none` and sums the samples by
category (PostgreSQL, kernel, allocator and copies, crypto, HTTP/2 and gRPC, SQL client,
serialisation, tracing, Tokio, the load generator, Stride's own code), printing each share
and, given the scenario's CPU per request, its microseconds per request.
"""
import re
import subprocess
import sys

CATEGORIES = [
    ("PostgreSQL (its processes)", lambda comm, dso, sym: comm == "postgres"),
    ("kernel: loopback TCP, wake-ups, scheduling", lambda c, dso, s: "kernel" in dso),
    ("allocator and copies (libc)", lambda c, d, sym: re.search(
        r"malloc|free|memmove|memcpy|memset|memcmp|unlink_chunk|_int_|consolidate", sym)),
    ("crypto (Ed25519, SHA-2)", lambda c, d, sym: re.search(
        r"curve25519|ed25519|sha2|sha512|signature|subtle", sym)),
    ("HTTP/2, gRPC framing (h2, hyper, tonic, tower, http)", lambda c, d, sym: re.search(
        r"\bh2::|hyper|tonic|tower|http::|bytes::|hpack", sym)),
    ("SQL client (sqlx)", lambda c, d, sym: "sqlx" in sym),
    ("serialisation (prost, serde, JSON claims)", lambda c, d, sym: re.search(
        r"prost|serde|jsonwebtoken|base64", sym)),
    ("tracing (spans, log lines)", lambda c, d, sym: re.search(
        r"tracing|opentelemetry|sharded_slab|fmt::write|core::fmt", sym)),
    ("Tokio runtime", lambda c, d, sym: "tokio" in sym),
    ("load generator (stride_bench)", lambda c, d, sym: "stride_bench" in sym),
    ("Stride (auth, fitness, shared)", lambda c, d, sym: re.search(
        r"stride_auth|stride_fitness|shared::", sym)),
]


def main():
    data, cpu_us = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else None
    report = subprocess.run(
        ["perf", "report", "-i", data, "--no-children", "--sort", "comm,dso,sym",
         "--stdio", "-g", "none"],
        capture_output=True, text=True, check=True).stdout
    totals = {name: 0.0 for name, _ in CATEGORIES}
    totals["other"] = 0.0
    line_re = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+(\S+)\s+(.*)$")
    for line in report.splitlines():
        if line.startswith("#"):
            continue
        m = line_re.match(line)
        if not m:
            continue
        share, comm, dso, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4)
        if comm not in ("postgres", "tokio-rt-worker") and not comm.startswith("stride"):
            continue  # other processes on the machine
        for name, test in CATEGORIES:
            if test(comm, dso, sym):
                totals[name] += share
                break
        else:
            totals["other"] += share
    whole = sum(totals.values())
    for name, share in sorted(totals.items(), key=lambda kv: -kv[1]):
        part = share / whole if whole else 0.0
        us = f"{part * cpu_us:6.0f} µs" if cpu_us else ""
        print(f"{part * 100:5.1f} %  {us}  {name}")


if __name__ == "__main__":
    main()
