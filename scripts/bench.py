#!/usr/bin/python3
"""Benchmark: mod_cfaop against the seed's mod_ssl recipe, side by side.

One Apache, three TLS ports whose default vhost differs only in client
authentication:
  none     no client certificate requested (the floor)
  mod_ssl  the seed's recipe: SSLVerifyClient require, SSLVerifyDepth 1,
           SSLCACertificateFile zone-ca.pem
  mod_cfaop CFAOPEngine on, CFAOPCACertificateFile zone-ca.pem
The same client certificate is presented to all three. Measured, alternating
the configurations, each ROUNDS times (the median is shown):
  full     new TLS connection per request (ab, no keep-alive): handshake,
           chain verification, one request
  resumed  TLS session resumption per connection (openssl s_time -reuse)
  keepalive requests on kept-alive connections (ab -k)
Two figures per cell: requests (or connections) per second, and the CPU time
the Apache processes spent per request (user + system, from /proc), which
the client's own load on the same machine disturbs much less. Compare the
columns, not runs on different machines.

Usage: scripts/bench.py [--seconds N] [--rounds N]   (after `make`)
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from harness.conf import Site  # noqa: E402
from harness.standalone import throwaway_apache  # noqa: E402

CONFIGS = ["none", "mod_ssl", "mod_cfaop"]
# The harness probes the port named "main" to see that a server is up.
PORTS = {"none": "main", "mod_ssl": "mod_ssl", "mod_cfaop": "mod_cfaop"}


def sites(pki):
    ca = pki.zone_ca.cert_path
    return [
        Site("none.test", port=PORTS["none"], protected=False),
        Site("modssl.test", ["SSLVerifyClient require", "SSLVerifyDepth 1",
                             f"SSLCACertificateFile {ca}"], port="mod_ssl"),
        Site("cfaop.test", ["CFAOPEngine on", f"CFAOPCACertificateFile {ca}"],
             port="mod_cfaop"),
    ]


def server_cpu_seconds(parent_pid):
    """User + system time of the Apache parent, its live children, and reaped ones."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        pid, ppid = int(entry), int(fields[1])
        if pid == parent_pid:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif ppid == parent_pid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def ab(port, combined, seconds, keepalive):
    cmd = ["ab", "-q", "-t", str(seconds), "-n", "10000000", "-c", "2",
           "-E", combined, "-f", "TLS1.3"]
    if keepalive:
        cmd.append("-k")
    out = subprocess.run(cmd + [f"https://127.0.0.1:{port}/"], capture_output=True,
                         text=True, check=True).stdout
    failed = int(re.search(r"^Failed requests:\s+(\d+)", out, re.M).group(1))
    non2xx = re.search(r"^Non-2xx responses:\s+(\d+)", out, re.M)
    assert failed == 0 and not non2xx, out  # a refused pull would flatter the figure
    done = int(re.search(r"^Complete requests:\s+(\d+)", out, re.M).group(1))
    took = float(re.search(r"^Time taken for tests:\s+([\d.]+)", out, re.M).group(1))
    return done, took


def s_time_reuse(port, cert, seconds):
    # s_time reports whole seconds only; the wall clock around it is finer.
    start = time.monotonic()
    out = subprocess.run(["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-reuse",
                          "-tls1_3", "-www", "/", "-time", str(seconds),
                          "-cert", cert.cert_path, "-key", cert.key_path],
                         capture_output=True, text=True, check=True).stdout
    took = time.monotonic() - start
    m = re.search(r"(\d+) connections in \d+ real seconds", out)
    assert m and int(m.group(1)) > 0, out
    # One character per connection: 'r' resumed, '*' a full handshake.
    marks = re.sub(r"[^r*]", "", out.split("starting", 1)[-1].split("\n\n", 1)[0])
    assert marks.count("r") >= 0.95 * len(marks), f"sessions not resumed: {marks[:80]}"
    return int(m.group(1)), took


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    # Rejections and debug lines are not what is measured.
    with throwaway_apache("bench", ["none.test", "modssl.test", "cfaop.test"], sites,
                          port_names=list(PORTS.values()),
                          global_lines=["LogLevel warn", "MaxKeepAliveRequests 0"]) \
            as (server, pki):
        leaf = pki.zone_leaf
        combined = os.path.join(pki.dir, "client.pem")  # ab wants cert and key in one file
        with open(combined, "w") as f:
            f.write(open(leaf.cert_path).read() + open(leaf.key_path).read())

        scenarios = {
            "full handshake + request": lambda p: ab(p, combined, args.seconds, False),
            "resumed session + request": lambda p: s_time_reuse(p, leaf, args.seconds),
            "keep-alive requests": lambda p: ab(p, combined, args.seconds, True),
        }
        rates = {(s, c): [] for s in scenarios for c in CONFIGS}
        cpu_us = {(s, c): [] for s in scenarios for c in CONFIGS}
        parent = server.pid()
        for _ in range(args.rounds):
            for name, run in scenarios.items():
                for cfg in CONFIGS:
                    before = server_cpu_seconds(parent)
                    done, took = run(server.ports[PORTS[cfg]])
                    rates[(name, cfg)].append(done / took)
                    cpu_us[(name, cfg)].append(
                        (server_cpu_seconds(parent) - before) / done * 1e6)

    print(f"median of {args.rounds} runs of {args.seconds}s each, TLS 1.3, "
          f"EC P-256 client certificate, 2 concurrent clients\n")
    for title, table, fmt in (("requests per second", rates, "12.0f"),
                              ("server CPU microseconds per request", cpu_us, "12.1f")):
        print(f"{title:38}" + "".join(f"{c:>12}" for c in CONFIGS) + f"{'cfaop/mod_ssl':>15}")
        for name in scenarios:
            med = {c: statistics.median(table[(name, c)]) for c in CONFIGS}
            print(f"  {name:36}" + "".join(f"{med[c]:{fmt}}" for c in CONFIGS)
                  + f"{med['mod_cfaop'] / med['mod_ssl']:15.2f}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
