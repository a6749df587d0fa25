#!/usr/bin/python3
"""Benchmark: mod_cfaop against no client authentication and the mod_ssl recipe, side by side.

Three configurations that differ only in client authentication, each with the
same edge CA (RSA-4096/SHA-512, like Cloudflare's origin-pull CA) and the same
client certificate (an ECDSA P-256 leaf it signed):
  N  no client certificate requested (the floor)
  S  the how-to's mod_ssl recipe: SSLVerifyClient require, SSLVerifyDepth 1,
     SSLCACertificateFile edge-ca.pem
  M  mod_cfaop: CFAOPEngine on, CFAOPCACertificateFile edge-ca.pem
The module is loaded in all three; only M's vhosts use it. Every figure is
measured in rounds that alternate the configurations, each round starting
with another one (N S M, S M N, M N S, ...), so that the load of a shared
machine, rising or falling, falls on all of them alike; the table
shows the median and, in brackets, the lowest and highest round. A ratio is
taken per round (M of round 2 over N of round 2) and summarised the same way.

Rows (--only ROW... runs some of them):
  configtest    apache2 -t, 10,000 protected vhosts (wall time; CPU in the JSON)
  growth        apache2 -t, 1,000 protected vhosts: M(10k)/M(1k) should be ~10
  dump          apache2 -t -D DUMP_CFAOP vs apache2 -t, M, 10,000 vhosts
  start         apache2 -k start -> first 200 from the last of 10,000 vhosts
  memory        parent RSS after that start: extra KiB per protected vhost over N
  status        the cfaop-status handler on that 10,000-vhost M server (JSON, prometheus)
  anchors       apache2 -t with one CA file of 5,000 anchors vs 1,000 (M)
  handshake     server CPU per full TLS 1.3 handshake with the client certificate
  resumed       server CPU per resumed TLS 1.3 session (openssl s_time -reuse)
  keepalive-h1  server CPU per keep-alive request over HTTP/1.1 (ab -k)
  keepalive-h2  server CPU per request over one HTTP/2 connection (curl, 10 streams)
  edge          server CPU per keep-alive request, M with CFAOPRemoteIPHeader and
                CFAOPEdgeHeaders (E) vs M without; both count (counters are always on)
  instructions  instructions per full handshake + request, per resumed session +
                request, per keep-alive request (h1) and per request on one h2
                connection, N S M, counted by
                valgrind's callgrind in a one-process server (apache2 -X): exact
                and load-proof where the timed rows above move by several per cent;
                also S0: the same server with mod_cfaop not loaded (in S, the
                module's hooks run for S's vhost, which does not use it)
  tool          cfaop against the fake API (tests/tool/fakecf) at the real rate
                limit: API calls and wall time to enable 100 hostnames, rotate them,
                rotate the zone certificate, and `status` with 1,000 hostnames

Server CPU is user + system time of the Apache processes, which the client's own
load on the same machine disturbs much less than a rate does: read from a cgroup
the benchmark makes for the server when it may (microseconds; as root), else from
/proc (clock ticks of 10 ms, which a short run rounds by several per cent).
The 10,000-vhost rows take minutes per round: `--only handshake keepalive-h1`
is a quick run. Compare columns of one run, not runs on different machines.

Usage: scripts/bench.py [--rounds N] [--seconds S] [--only ROW...] [--json FILE]
       (after `make`; needs ab, curl, openssl, valgrind, python3-cryptography,
       python3-pytest)
"""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests", "tool"))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402

from harness import pki as pki_mod  # noqa: E402
from harness.conf import Site  # noqa: E402
from harness.pki import _name  # noqa: E402
from harness.server import Apache, free_port  # noqa: E402
from harness.settings import (APACHE_BIN, APACHE_ENV, CLOUDFLARE_CA,  # noqa: E402
                              MODULE, server_openssl)

ROWS = ["configtest", "growth", "dump", "start", "memory", "status", "anchors",
        "handshake", "resumed", "keepalive-h1", "keepalive-h2", "edge", "instructions",
        "tool"]
SCALE_ROWS = {"configtest", "growth", "dump", "start", "memory", "status"}
SMALL_ROWS = {"handshake", "resumed", "keepalive-h1", "keepalive-h2", "edge"}
CONFIGS = ["N", "S", "M"]
VHOSTS = 10_000
VHOSTS_SMALL = 1_000
ANCHORS = (1_000, 5_000)
EDGE_HEADERS = ["CF-Connecting-IP: 198.51.100.7", "CF-Ray: 8f1e2d3c4b5a6978-LHR",
                "CF-IPCountry: GB", "CF-Visitor: {\"scheme\":\"https\"}"]


# ---------------------------------------------------------------------------
# measurement helpers

def summary(values):
    """median, min, max of a list of numbers (None when empty)."""
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "rounds": list(values)}


def rotated(items, n):
    """items, starting at the n-th: round n measures the configurations in another order,
    so that a load that rises or falls during the run favours none of them."""
    items = list(items)
    k = n % len(items)
    return items[k:] + items[:k]


def proc_stats():
    """(pid, fields after the command name) of /proc/PID/stat, for every live process:
    fields[1] is the parent, fields[11:15] utime, stime, cutime, cstime."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            yield int(entry), open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile


def process_cpu(parent_pid):
    """User + system seconds of an Apache parent, its live children and reaped ones."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid, fields in proc_stats():
        if pid == parent_pid:
            total += sum(int(f) for f in fields[11:15])
        elif int(fields[1]) == parent_pid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


# (hierarchy, file with the group's CPU time): cgroup v2 mounted alone or beside v1, v1.
CGROUP_CPU = [("/sys/fs/cgroup/unified", "cpu.stat"), ("/sys/fs/cgroup", "cpu.stat"),
              ("/sys/fs/cgroup/cpuacct", "cpuacct.usage")]


class TreeCpu:
    """The CPU time of an Apache parent and its children. In a cgroup of their own when
    the machine lets us make one: microseconds, threads and processes that exit included.
    Otherwise from /proc, in clock ticks (10 ms): a short load run then moves by several
    per cent from rounding alone, and the table says which clock it used."""

    def __init__(self, parent_pid):
        self.parent, self.group, self.stat = parent_pid, None, None
        for base, stat in CGROUP_CPU:
            path = os.path.join(base, f"cfaop-bench-{os.getpid()}-{parent_pid}")
            try:
                os.mkdir(path)
            except OSError:
                continue
            try:
                if not os.path.exists(os.path.join(path, stat)):
                    raise OSError(f"no {stat}")
                for pid in [parent_pid] + self._children():
                    with open(os.path.join(path, "cgroup.procs"), "w") as f:
                        f.write(str(pid))
                if set(self._children()) - self._members(path):
                    raise OSError("a child escaped the group")
            except OSError:
                self._remove(path)
                continue
            self.group, self.stat = path, stat
            break

    def _children(self):
        return [pid for pid, fields in proc_stats() if int(fields[1]) == self.parent]

    @staticmethod
    def _members(path):
        return {int(x) for x in open(os.path.join(path, "cgroup.procs")).read().split()}

    @staticmethod
    def _remove(path):
        """Moves what is left to the parent group and removes the group."""
        parent = os.path.join(os.path.dirname(path), "cgroup.procs")
        for _ in range(50):
            try:
                for pid in TreeCpu._members(path):
                    try:
                        with open(parent, "w") as f:
                            f.write(str(pid))
                    except OSError:
                        pass
                os.rmdir(path)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.1)

    @property
    def clock(self):
        return "cgroup" if self.group else "/proc ticks"

    def seconds(self):
        if not self.group:
            return process_cpu(self.parent)
        text = open(os.path.join(self.group, self.stat)).read()
        if self.stat == "cpuacct.usage":
            return int(text) / 1e9
        return int(re.search(r"^usage_usec (\d+)", text, re.M).group(1)) / 1e6

    def close(self):
        if self.group:
            self._remove(self.group)
            self.group = None


def timed(cmd, **kw):
    """Runs cmd; (wall seconds, CPU seconds of it and its children, CompletedProcess)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, **kw)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p


def rss_kb(pid):
    status = open(f"/proc/{pid}/status").read()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))


def loadavg():
    return open("/proc/loadavg").read().split()[:3]


def machine():
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    openssl = server_openssl()
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), "?")
    return {
        "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
        "openssl": "OpenSSL {} ({})".format(
            ".".join(map(str, openssl[0])) if openssl[0] else "?", openssl[1] or "?"),
        "apache": out([APACHE_BIN, "-v"]).splitlines()[0],
        "commit": out(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]),
        "module": MODULE,
    }


def module_copy(base):
    """The module under test, copied where www-data can read it: Apache's children and
    `apache2 -t` may not reach a checkout in a private directory (/root is mode 700)."""
    copy = os.path.join(base, "mod_cfaop.so")
    if not os.path.exists(copy):
        shutil.copyfile(MODULE, copy)
        os.chmod(copy, 0o644)
    return copy


# ---------------------------------------------------------------------------
# certificates

class EdgePki:
    """The harness PKI plus the edge CA (RSA-4096, SHA-512) and its ECDSA P-256 leaf."""

    def __init__(self, base):
        self.pki = pki_mod.build(os.path.join(base, "pki"),
                                 ["localhost", "*.scale.test", "none.test", "modssl.test",
                                  "cfaop.test", "edge.test", "probe.test"], CLOUDFLARE_CA)
        p = self.pki
        self.ca = p.issue("edge_ca", _name("Edge Origin Pull CA", "Benchmark Edge"), ca=True,
                          key=rsa.generate_private_key(public_exponent=65537, key_size=4096),
                          sign_hash=hashes.SHA512())
        self.leaf = p.issue("edge_leaf", _name("origin-pull.bench.test", "Benchmark Edge"),
                            self.ca, sign_hash=hashes.SHA512())
        # ab wants certificate and key in one file.
        self.combined = os.path.join(p.dir, "edge-client.pem")
        with open(self.combined, "w") as f:
            f.write(open(self.leaf.cert_path).read() + open(self.leaf.key_path).read())
        os.chmod(self.combined, 0o644)
        self.anchor_files = {n: self._anchors(n) for n in ANCHORS}

    def _anchors(self, n):
        """A PEM file of n distinct CA certificates (one key: only their parsing is measured)."""
        path = os.path.join(self.pki.dir, f"anchors-{n}.pem")
        if n == ANCHORS[-1] or not os.path.exists(path):
            key = getattr(self, "_anchor_key", None) or ec.generate_private_key(ec.SECP256R1())
            self._anchor_key = key
            now = datetime.datetime.utcnow()
            with open(path, "wb") as f:
                for i in range(n):
                    name = _name(f"Anchor CA {i}", "Benchmark Anchors")
                    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                            .public_key(key.public_key())
                            .serial_number(x509.random_serial_number())
                            .not_valid_before(now - datetime.timedelta(days=1))
                            .not_valid_after(now + datetime.timedelta(days=3650))
                            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                           critical=True)
                            .sign(key, hashes.SHA256()))
                    f.write(cert.public_bytes(serialization.Encoding.PEM))
            os.chmod(path, 0o644)
        return path


def client_auth(cfg, ca_path):
    """The directives of one configuration's protected vhost."""
    return {
        "N": [],
        "S": ["SSLVerifyClient require", "SSLVerifyDepth 1", f"SSLCACertificateFile {ca_path}"],
        "M": ["CFAOPEngine on", f"CFAOPCACertificateFile {ca_path}"],
        "E": ["CFAOPEngine on", f"CFAOPCACertificateFile {ca_path}",
              "CFAOPRemoteIPHeader CF-Connecting-IP",
              "CFAOPEdgeHeaders CF-Ray CF-IPCountry CF-Visitor"],
    }[cfg]


GLOBAL_LINES = ["LogLevel warn", "MaxKeepAliveRequests 0",
                "<Location /cfaop-status>", "  SetHandler cfaop-status",
                "  Require ip 127.0.0.1", "</Location>"]


# ---------------------------------------------------------------------------
# clients

def curl_status(url, host, port, epki, cert=True, timeout=60, extra=()):
    cmd = ["curl", "-s", "-k", "-o", "/dev/null", "--max-time", str(timeout),
           "-w", "%{http_code} %{time_total} %{time_appconnect} %{size_download}",
           "--resolve", f"{host}:{port}:127.0.0.1", *extra]
    if cert:
        cmd += ["--cert", epki.leaf.cert_path, "--key", epki.leaf.key_path]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout.split()
    if len(out) != 4:
        return 0, 0.0, 0.0, 0
    return int(out[0]), float(out[1]), float(out[2]), int(out[3])


def ab(port, host, combined, seconds, keepalive, headers=(), requests=None):
    """Requests served in `seconds` on two connections, or `requests` on one."""
    limit = (["-t", str(seconds), "-n", "10000000", "-c", "2"] if requests is None
             else ["-n", str(requests), "-c", "1"])
    cmd = ["ab", "-q", *limit, "-E", combined, "-f", "TLS1.3"]
    if keepalive:
        cmd.append("-k")
    for h in headers:
        cmd += ["-H", h]
    # ab sends no SNI for an address; a name in the URL would need a resolver.
    out = subprocess.run(cmd + [f"https://127.0.0.1:{port}/"], capture_output=True,
                         text=True).stdout
    failed = re.search(r"^Failed requests:\s+(\d+)", out, re.M)
    non2xx = re.search(r"^Non-2xx responses:\s+(\d+)", out, re.M)
    # A refused pull would flatter the figure.
    assert failed and int(failed.group(1)) == 0 and not non2xx, out
    done = int(re.search(r"^Complete requests:\s+(\d+)", out, re.M).group(1))
    return done


def s_time_reuse(port, leaf, seconds):
    out = subprocess.run(["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-reuse",
                          "-tls1_3", "-www", "/", "-time", str(seconds),
                          "-cert", leaf.cert_path, "-key", leaf.key_path],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"(\d+) connections in \d+ real seconds", out)
    assert m and int(m.group(1)) > 0, out
    # One character per connection: 'r' resumed, '*' a full handshake.
    marks = re.sub(r"[^r*]", "", out.split("starting", 1)[-1].split("\n\n", 1)[0])
    assert marks.count("r") >= 0.95 * len(marks), f"sessions not resumed: {marks[:80]}"
    return int(m.group(1))


def resumptions(port, host, epki, count, sess):
    """count TLS 1.3 connections resuming the session in file `sess` (made by a full
    handshake first when absent), one request on each."""
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", host,
           "-tls1_3", "-cert", epki.leaf.cert_path, "-key", epki.leaf.key_path, "-ign_eof"]
    req = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    if not os.path.exists(sess):
        out = subprocess.run(cmd + ["-sess_out", sess], input=req, capture_output=True,
                             text=True, timeout=60).stdout
        assert "New, TLSv1.3" in out and " 200 " in out and os.path.exists(sess), out[-500:]
    for _ in range(count):
        out = subprocess.run(cmd + ["-sess_in", sess], input=req, capture_output=True,
                             text=True, timeout=60).stdout
        assert "Reused, TLSv1.3" in out and " 200 " in out, out[-500:]
    return count


def h2_requests(port, host, epki, count, streams=10):
    """count GETs over one HTTP/2 connection, `streams` at a time (curl -Z multiplexes)."""
    urls = f"https://{host}:{port}/?n=[1-{count}]"
    out = subprocess.run(["curl", "-s", "-k", "--http2", "-Z", "--parallel-max", str(streams),
                          "--resolve", f"{host}:{port}:127.0.0.1",
                          "--cert", epki.leaf.cert_path, "--key", epki.leaf.key_path,
                          "-o", "/dev/null", "-w", "%{http_code} %{http_version} "
                          "%{num_connects}\n", urls],
                         capture_output=True, text=True).stdout.split("\n")
    lines = [l.split() for l in out if l.strip()]
    assert len(lines) == count and all(l[0] == "200" and l[1] == "2" for l in lines), \
        out[:5]
    connects = sum(int(l[2]) for l in lines)
    assert connects <= 2, f"{connects} connections for {count} h2 requests"
    return count


# ---------------------------------------------------------------------------
# Apache instances

def scale_sites(cfg, n, ca_path):
    """A probe vhost (no client auth, its own port) and n vhosts sharing its DocumentRoot."""
    return ([Site("probe.test", port="main", protected=False)]
            + [Site(f"v{i}.scale.test", client_auth(cfg, ca_path), port="scale",
                    protected=cfg != "N", docroot="probe.test") for i in range(n)])


class ScaleServer:
    """One configuration of n vhosts in a server root of its own."""

    def __init__(self, base, cfg, n, epki):
        self.cfg, self.n, self.epki = cfg, n, epki
        self.apache = Apache(base, f"scale-{cfg}-{n}", epki.pki, module_copy(base),
                             port_names=("main", "scale"), lean=True)
        self.apache.install(scale_sites(cfg, n, epki.ca.cert_path), GLOBAL_LINES)

    def ctl(self, *args):
        a = self.apache
        return [APACHE_BIN, "-d", a.root, "-f", a.conf_path, *args]

    def configtest(self, *defines):
        args = ["-t"]
        for d in defines:
            args += ["-D", d]
        wall, cpu, p = timed(self.ctl(*args), env=APACHE_ENV, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        assert p.returncode == 0, p.stderr
        return wall, cpu

    def start_to_first_200(self, timeout=600):
        """Seconds from `apache2 -k start` to the first 200 from the last vhost, and the
        CPU seconds Apache spent until then (the starting process, the server's parent
        and its children)."""
        a = self.apache
        for _ in range(3):
            a.ports = {k: free_port() for k in a.port_names}
            a._write()
            last = f"v{self.n - 1}.scale.test"
            port = a.ports["scale"]
            url = f"https://{last}:{port}/"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            proc = subprocess.Popen(self.ctl("-k", "start"), env=APACHE_ENV,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            status = 0
            while time.monotonic() - t0 < timeout:
                if proc.poll() not in (None, 0):
                    break
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                except OSError:
                    time.sleep(0.05)
                    continue
                status = curl_status(url, last, port, self.epki, cert=self.cfg != "N",
                                     timeout=timeout)[0]
                if status == 200:
                    break
                time.sleep(0.05)
            took = time.monotonic() - t0
            server_cpu = process_cpu(a.pid()) if status == 200 and a.pid() else 0.0
            err = proc.communicate()[1]
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            starter = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if status == 200:
                return took, starter + server_cpu
            a.stop()
            if "Address already in use" not in err + "\n".join(a.log.lines()[-20:]):
                raise RuntimeError(f"{self.cfg}: no 200 from {last} ({status}): {err}")
        raise RuntimeError(f"{self.cfg}: ports kept being taken")

    def pid(self):
        return self.apache.pid()

    def stop(self):
        self.apache.stop()


class SmallServer:
    """One Apache, one port per configuration (N, S, M and E: M with the edge headers)."""

    PORTS = {"N": "main", "S": "mod_ssl", "M": "mod_cfaop", "E": "edge"}
    HOSTS = {"N": "none.test", "S": "modssl.test", "M": "cfaop.test", "E": "edge.test"}

    @classmethod
    def sites(cls, ca, module=True):
        """The four vhosts; without the module, M's and E's are there without its directives."""
        return [Site(cls.HOSTS[c], client_auth(c if module or c in ("N", "S") else "N", ca),
                     port=cls.PORTS[c], protected=c != "N") for c in cls.PORTS]

    def __init__(self, base, epki):
        self.epki = epki
        self.apache = Apache(base, "small", epki.pki, module_copy(base),
                             port_names=list(self.PORTS.values()), lean=True)
        self.apache.install(self.sites(epki.ca.cert_path), GLOBAL_LINES)
        self.apache.start()
        for c in self.PORTS:  # each port serves its page to the edge's certificate
            code = curl_status(f"https://{self.HOSTS[c]}:{self.port(c)}/", self.HOSTS[c],
                               self.port(c), epki)[0]
            assert code == 200, (c, code)
        self.cpu = TreeCpu(self.apache.pid())

    def port(self, cfg):
        return self.apache.ports[self.PORTS[cfg]]

    def cpu_per(self, run):
        """Server CPU microseconds per unit of work done by run()."""
        before = self.cpu.seconds()
        done = run()
        return (self.cpu.seconds() - before) / done * 1e6

    def stop(self):
        self.apache.stop()
        self.cpu.close()


# ---------------------------------------------------------------------------
# the rows

class Bench:
    def __init__(self, args):
        self.args = args
        self.results = {}  # row -> {"unit", "configs": {cfg: summary}, "ratios": {...}}

    def want(self, *rows):
        return any(r in self.args.only for r in rows)

    def record(self, row, label, unit, per_cfg, ratios=(), target="", extra=None):
        """per_cfg: {cfg: [value per round]}; ratios: [(name, num_cfg, den_cfg)]."""
        entry = {"label": label, "unit": unit, "target": target,
                 "configs": {c: summary(v) for c, v in per_cfg.items()}, "ratios": {}}
        for name, num, den in ratios:
            pairs = zip(per_cfg[num], per_cfg[den])
            entry["ratios"][name] = summary([a / b for a, b in pairs if b])
        if extra:
            entry.update(extra)
        self.results[row] = entry

    # -- 10,000 vhosts ------------------------------------------------------
    def scale(self, base, epki):
        rounds = self.args.scale_rounds
        servers = {(c, n): ScaleServer(base, c, n, epki)
                   for c in CONFIGS for n in (VHOSTS, VHOSTS_SMALL)}
        if self.want("configtest", "growth"):
            wall = {(c, n): [] for c, n in servers}
            cpu = {(c, n): [] for c, n in servers}
            for rnd in range(rounds):
                for n in (VHOSTS, VHOSTS_SMALL) if self.want("growth") else (VHOSTS,):
                    for c in rotated(CONFIGS, rnd):
                        w, u = servers[(c, n)].configtest()
                        wall[(c, n)].append(w)
                        cpu[(c, n)].append(u)
            self.record("configtest", f"apache2 -t, {VHOSTS:,} protected vhosts", "s",
                        {c: wall[(c, VHOSTS)] for c in CONFIGS},
                        [("M/N", "M", "N"), ("M/S", "M", "S")], "M <= 2x N",
                        {"cpu_s": {c: summary(cpu[(c, VHOSTS)]) for c in CONFIGS}})
            if self.want("growth"):
                self.record("growth", f"apache2 -t, {VHOSTS_SMALL:,} protected vhosts", "s",
                            {c: wall[(c, VHOSTS_SMALL)] for c in CONFIGS},
                            [("M/N", "M", "N")], "10k/1k ~ 10 (linear)",
                            {"cpu_s": {c: summary(cpu[(c, VHOSTS_SMALL)]) for c in CONFIGS},
                             "growth_10k_over_1k": {
                                 c: summary([a / b for a, b in zip(wall[(c, VHOSTS)],
                                                                   wall[(c, VHOSTS_SMALL)])])
                                 for c in CONFIGS}})
        if self.want("dump"):
            m = servers[("M", VHOSTS)]
            t, d = [], []
            for rnd in range(rounds):
                for what in rotated(["-t", "DUMP"], rnd):
                    if what == "-t":
                        t.append(m.configtest()[0])
                    else:
                        d.append(m.configtest("DUMP_CFAOP")[0])
            self.record("dump", f"-t -D DUMP_CFAOP vs -t, M, {VHOSTS:,} vhosts", "s",
                        {"-t": t, "DUMP": d}, [("DUMP/-t", "DUMP", "-t")], "<= 1.5x")
        if self.want("start", "memory", "status"):
            took = {c: [] for c in CONFIGS}
            cpu = {c: [] for c in CONFIGS}
            rss = {c: [] for c in CONFIGS}
            st_json, st_prom = [], []
            for rnd in range(rounds):
                for c in rotated(CONFIGS, rnd):
                    srv = servers[(c, VHOSTS)]
                    try:
                        t, u = srv.start_to_first_200()
                        took[c].append(t)
                        cpu[c].append(u)
                        time.sleep(1)  # let the children settle
                        rss[c].append(rss_kb(srv.pid()))
                        if c == "M" and self.want("status"):
                            j, p = self.status_times(srv)
                            st_json += j
                            st_prom += p
                    finally:
                        srv.stop()
            self.record("start", f"start -> first 200 from the last of {VHOSTS:,} vhosts",
                        "s", took, [("M-N", "M", "N")], "M - N <= 1.4 s",
                        {"cpu_s": {c: summary(cpu[c]) for c in CONFIGS},
                         "cpu_m_minus_n": summary([a - b for a, b in zip(cpu["M"], cpu["N"])])})
            # The ratio slot holds the difference here.
            self.results["start"]["ratios"]["M-N"] = summary(
                [a - b for a, b in zip(took["M"], took["N"])])
            per_vhost = {c: [(a - b) / VHOSTS for a, b in zip(rss[c], rss["N"])]
                         for c in ("S", "M")}
            self.record("memory", f"extra parent RSS per protected vhost over N "
                        f"({VHOSTS:,} vhosts)", "KiB", per_vhost, [("M/S", "M", "S")],
                        "M <= 0.76 KiB", {"parent_rss_kib": {c: summary(rss[c])
                                                             for c in CONFIGS}})
            if self.want("status"):
                self.record("status", f"cfaop-status answer, {VHOSTS:,}-vhost M server", "s",
                            {"json": st_json, "prometheus": st_prom}, (), "< 1 s")

    def status_times(self, srv):
        """Five answers of each format on a fresh connection: seconds from connected to done."""
        port = srv.apache.ports["main"]
        out = {"json": [], "prometheus": []}
        for fmt, query in (("json", ""), ("prometheus", "?format=prometheus")):
            for _ in range(5):
                code, total, connect, size = curl_status(
                    f"https://probe.test:{port}/cfaop-status{query}", "probe.test", port,
                    self.epki, cert=False)
                assert code == 200 and size > 1000, (fmt, code, size)
                out[fmt].append(total - connect)
        return out["json"], out["prometheus"]

    def anchors(self, base, epki):
        srv = {n: Apache(base, f"anchors-{n}", epki.pki, module_copy(base), lean=True) for n in ANCHORS}
        for n, a in srv.items():
            a.install([Site("anchors.test", ["CFAOPEngine on",
                                             f"CFAOPCACertificateFile {epki.anchor_files[n]}"])],
                      GLOBAL_LINES)
        wall = {n: [] for n in ANCHORS}
        cpu = {n: [] for n in ANCHORS}
        for rnd in range(self.args.rounds):
            for n in rotated(ANCHORS, rnd):
                a = srv[n]
                w, u, p = timed([APACHE_BIN, "-d", a.root, "-f", a.conf_path, "-t"],
                                env=APACHE_ENV, capture_output=True, text=True)
                assert p.returncode == 0, p.stderr
                wall[n].append(w)
                cpu[n].append(u)
        lo, hi = ANCHORS
        self.record("anchors", f"apache2 -t, one CA file of {hi:,} vs {lo:,} anchors (M)", "s",
                    {f"{lo}": wall[lo], f"{hi}": wall[hi]}, [(f"{hi}/{lo}", f"{hi}", f"{lo}")],
                    f"<= {hi // lo + 1}x (linear)",
                    {"cpu_s": {f"{n}": summary(cpu[n]) for n in ANCHORS},
                     "cpu_ratio": summary([a / b for a, b in zip(cpu[hi], cpu[lo])])})

    # -- one small server ---------------------------------------------------
    def small(self, base, epki):
        srv = SmallServer(base, epki)
        secs = self.args.seconds
        try:
            scenarios = []
            if self.want("handshake"):
                scenarios.append(("handshake", "server CPU per full handshake + request",
                                  CONFIGS, lambda c: ab(srv.port(c), srv.HOSTS[c],
                                                        epki.combined, secs, False),
                                  [("M/N", "M", "N"), ("S/N", "S", "N"), ("M/S", "M", "S")],
                                  "M/N <= 1.5"))
            if self.want("resumed"):
                scenarios.append(("resumed", "server CPU per resumed session + request",
                                  CONFIGS, lambda c: s_time_reuse(srv.port(c), epki.leaf, secs),
                                  [("M/N", "M", "N"), ("M/S", "M", "S")], "M/N <= 1.02"))
            if self.want("keepalive-h1"):
                scenarios.append(("keepalive-h1", "server CPU per keep-alive request, h1",
                                  CONFIGS, lambda c: ab(srv.port(c), srv.HOSTS[c],
                                                        epki.combined, secs, True),
                                  [("M/S", "M", "S"), ("M/N", "M", "N")], "M/S <= 1.01"))
            if self.want("keepalive-h2"):
                count = max(500, 500 * secs)
                scenarios.append(("keepalive-h2", "server CPU per request, one h2 connection",
                                  CONFIGS, lambda c: h2_requests(srv.port(c), srv.HOSTS[c],
                                                                 epki, count),
                                  [("M/S", "M", "S"), ("M/N", "M", "N")], "M/S <= 1.01"))
            if self.want("edge"):
                scenarios.append(("edge", "server CPU per keep-alive request, edge headers "
                                  "(E) vs none (M)", ["M", "E"],
                                  lambda c: ab(srv.port(c), srv.HOSTS[c], epki.combined, secs,
                                               True, EDGE_HEADERS),
                                  [("E/M", "E", "M")], "E/M <= 1.01"))
            cpu = {(s[0], c): [] for s in scenarios for c in s[2]}
            for rnd in range(self.args.rounds):
                for row, _label, cfgs, run, _r, _t in scenarios:
                    for c in rotated(cfgs, rnd):
                        cpu[(row, c)].append(srv.cpu_per(lambda: run(c)))
            for row, label, cfgs, _run, ratios, target in scenarios:
                self.record(row, label, "us", {c: cpu[(row, c)] for c in cfgs}, ratios, target,
                            {"cpu_clock": srv.cpu.clock})
        finally:
            srv.stop()

    # -- instructions ---------------------------------------------------------
    INSTR_WORK = {  # row: (label, units measured, what one unit is)
        "hs": ("full handshake + request", 40),
        "h1": ("keep-alive request, h1", 1000),
        "h2": ("request on one h2 connection", 500),
        "res": ("resumed TLS 1.3 session + request", 40),
    }

    def instructions(self, base, epki):
        """Instructions per unit of work, by differences of whole runs: a run that does
        one unit of each kind, and for each kind a run that does K + 1 of it instead
        of one (the same connections, so that only K units differ). Only the work done
        inside connection processing is counted: a server's start and its exit differ
        by millions of instructions between runs, more than the work measured."""
        srv = SmallServer(base, epki)
        srv.stop()
        # S0: the same server without mod_cfaop, whose hooks otherwise also
        # run for S's vhost.
        plain = Apache(base, "small-plain", epki.pki, None,
                       port_names=list(SmallServer.PORTS.values()), lean=True)
        plain.install(SmallServer.sites(epki.ca.cert_path, module=False), GLOBAL_LINES)
        servers = {c: (srv.apache, srv.port(c), srv.HOSTS[c]) for c in CONFIGS}
        servers["S0"] = (plain, plain.ports[SmallServer.PORTS["S"]], srv.HOSTS["S"])
        out = os.path.join(base, "callgrind")
        os.makedirs(out, exist_ok=True)
        os.chmod(out, 0o777)  # the child writes its profile as www-data

        def drive(cfg, kind, n):
            _a, port, host = servers[cfg]
            if kind == "h2":
                h2_requests(port, host, epki, n, streams=1)
            elif kind == "res":
                # A session of this run: ticket keys are made at start-up.
                resumptions(port, host, epki, n, os.path.join(out, f"{cfg}-session.pem"))
            else:
                ab(port, host, epki.combined, 0, kind == "h1", requests=n)

        def run(cfg, counts):
            a, port, _host = servers[cfg]
            path = os.path.join(out, f"{cfg}-" + "-".join(f"{k}{n}" for k, n in counts.items()))
            open(path, "w").close()
            os.chmod(path, 0o666)
            proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--vgdb=no",
                                     "--collect-atstart=no",
                                     "--toggle-collect=ap_run_process_connection",
                                     f"--callgrind-out-file={path}", APACHE_BIN, "-X",
                                     "-d", a.root, "-f", a.conf_path], env=APACHE_ENV,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        assert time.monotonic() < deadline and proc.poll() is None, \
                            "apache2 -X under valgrind did not start"
                        time.sleep(0.2)
                drive(cfg, "h1", 2)  # first use of everything: the same in every run
                for kind, n in counts.items():
                    drive(cfg, kind, n)
            finally:
                proc.terminate()
                proc.wait()
                session = os.path.join(out, f"{cfg}-session.pem")
                if os.path.exists(session):
                    os.unlink(session)
            return int(re.search(r"^(?:summary|totals): (\d+)", open(path).read(),
                                 re.M).group(1))

        per = {kind: {} for kind in self.INSTR_WORK}
        for cfg in servers:
            once = {kind: 1 for kind in self.INSTR_WORK}
            base_run = run(cfg, once)
            for kind, (_label, k) in self.INSTR_WORK.items():
                per[kind][cfg] = [(run(cfg, {**once, kind: k + 1}) - base_run) / k]
        for kind, (label, k) in self.INSTR_WORK.items():
            self.record(f"instr-{kind}", f"instructions per {label} ({k} measured)",
                        "k instr", {c: [v / 1000 for v in per[kind][c]] for c in servers},
                        [("M/N", "M", "N"), ("M/S", "M", "S"), ("M/S0", "M", "S0")], "")

    # -- the tool ------------------------------------------------------------
    def tool(self, base):
        from fakecf.harness import FakeCloudflare
        from lib.cfaop_env import CFAOP_BIN, FAST_ENV, SCRUBBED
        from lib.pki import PKI
        ops = {"enable 100 hostnames": [], "rotate 100 hostnames": [],
               "rotate the zone certificate": [], "status, 1,000 hostnames": []}
        calls = {k: [] for k in ops}
        for rnd in range(self.args.rounds):
            work = os.path.join(base, f"tool-{rnd}")
            pki = PKI(os.path.join(work, "pki"))
            with FakeCloudflare(os.path.join(work, "fakecf")) as cf:
                zone = cf.add_zone("example.com")
                token = "tok" + os.urandom(16).hex()
                cf.add_token(token)
                cf.set_activation(gets=1)
                env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
                env.update(FAST_ENV)
                env.update(CLOUDFLARE_API_TOKEN=token,
                           CFAOP_STATE_DIR=os.path.join(work, "state"))

                def run(*args):
                    cf.clear_requests()
                    t0 = time.monotonic()
                    p = subprocess.run([CFAOP_BIN, "--api-base", cf.base_url, "--cacert",
                                        cf.ca_file, "-z", "example.com", *args], env=env,
                                       capture_output=True, text=True, timeout=600)
                    took = time.monotonic() - t0
                    assert p.returncode == 0, (args[:3], p.stdout[-500:], p.stderr[-2000:])
                    return took, len(cf.requests())

                hosts = [f"h{i}.example.com" for i in range(100)]
                old, new = pki.leaf("hosts"), pki.leaf("hosts-new")
                for op, args in (("enable 100 hostnames", ["hostname", "enable", *hosts,
                                                           *old.args()]),
                                 ("rotate 100 hostnames", ["hostname", "rotate", *hosts,
                                                           *new.args()])):
                    took, n = run(*args)
                    ops[op].append(took)
                    calls[op].append(n)
                zold, znew = pki.leaf("zone"), pki.leaf("zone-new")
                cf.add_zone_cert(zone, zold.cert_pem, zold.key_pem)
                took, n = run("zone", "rotate", *znew.args())
                ops["rotate the zone certificate"].append(took)
                calls["rotate the zone certificate"].append(n)
                big = pki.leaf("many")
                cid = cf.add_hostname_cert(zone, big.cert_pem, big.key_pem)
                for i in range(1000):
                    cf.set_association(zone, f"s{i}.example.com", cid)
                took, n = run("status")
                ops["status, 1,000 hostnames"].append(took)
                calls["status, 1,000 hostnames"].append(n)
        self.results["tool"] = {
            "label": "cfaop against the fake API, real rate limit (1200/300 s)",
            "unit": "s", "target": "",
            "ops": {op: {"wall_s": summary(ops[op]), "api_calls": summary(calls[op])}
                    for op in ops}}

    # -- output --------------------------------------------------------------
    def table(self):
        def cell(s, unit):
            if not s:
                return "-"
            digits = 0 if s["median"] >= 100 else (1 if s["median"] >= 10 else
                                                  (2 if s["median"] >= 0.1 else 3))
            f = f"{{:.{digits}f}}"
            return f"{f.format(s['median'])} ({f.format(s['min'])}-{f.format(s['max'])})"

        lines = []
        for row in [r for row in ROWS for r in (
                [f"instr-{k}" for k in self.INSTR_WORK] if row == "instructions" else [row])]:
            e = self.results.get(row)
            if not e:
                continue
            if row == "tool":
                lines.append(f"{e['label']}:")
                for op, v in e["ops"].items():
                    lines.append(f"  {op:34} {cell(v['api_calls'], ''):>20} API calls  "
                                 f"{cell(v['wall_s'], 's'):>22} s")
                continue
            cfgs = "  ".join(f"{c} {cell(s, e['unit'])}" for c, s in e["configs"].items())
            ratios = "  ".join(f"{k} {cell(v, '')}" for k, v in e["ratios"].items())
            lines.append(f"{row:13} {e['label']} [{e['unit']}]")
            lines.append(f"{'':13} {cfgs}")
            if ratios or e["target"]:
                target = f"   (target: {e['target']})" if e["target"] else ""
                lines.append(f"{'':13} {ratios}{target}")
            if e.get("cpu_s"):
                cpu = "  ".join(f"{c} {cell(s, 's')}" for c, s in e["cpu_s"].items())
                lines.append(f"{'':13} CPU s: {cpu}")
            if e.get("cpu_m_minus_n"):
                lines.append(f"{'':13} CPU M-N: {cell(e['cpu_m_minus_n'], 's')} s")
            if e.get("cpu_ratio"):
                lines.append(f"{'':13} CPU ratio: {cell(e['cpu_ratio'], '')}")
            if e.get("cpu_clock"):
                lines.append(f"{'':13} server CPU read from: {e['cpu_clock']}")
            if e.get("growth_10k_over_1k"):
                g = "  ".join(f"{c} {cell(s, '')}" for c, s in e["growth_10k_over_1k"].items())
                lines.append(f"{'':13} 10k/1k: {g}")
        return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--scale-rounds", type=int, metavar="N",
                    help="rounds of the 10,000-vhost rows (default: --rounds); a start "
                         "of 10,000 vhosts takes 30-120 s per configuration")
    ap.add_argument("--seconds", type=int, default=4,
                    help="seconds per load run of the small rows (default 4)")
    ap.add_argument("--only", nargs="+", choices=ROWS, default=ROWS, metavar="ROW",
                    help="rows to run: " + " ".join(ROWS))
    ap.add_argument("--json", metavar="FILE", help="write every figure and round as JSON")
    args = ap.parse_args()
    if args.scale_rounds is None:
        args.scale_rounds = args.rounds
    # Said before the first row, not after twenty minutes of the others.
    needs = {"ab": "apache2-utils", "curl": "curl", "openssl": "openssl"}
    if "instructions" in args.only:
        needs["valgrind"] = "valgrind"
    missing = [f"{tool} (Debian package {pkg})" for tool, pkg in needs.items()
               if not shutil.which(tool)]
    if missing:
        ap.error("missing: " + ", ".join(missing))

    bench = Bench(args)
    info = machine()
    info["load_before"] = loadavg()
    base = tempfile.mkdtemp(prefix="cfaop-bench-")
    os.chmod(base, 0o755)  # Apache's children run as www-data
    try:
        if bench.want(*SCALE_ROWS, *SMALL_ROWS, "anchors", "instructions"):
            epki = EdgePki(base)
            bench.epki = epki
            if bench.want(*SMALL_ROWS):
                bench.small(base, epki)
            if bench.want("anchors"):
                bench.anchors(base, epki)
            if bench.want("instructions"):
                bench.instructions(base, epki)
            if bench.want(*SCALE_ROWS):
                bench.scale(base, epki)
        if bench.want("tool"):
            bench.tool(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    info["load_after"] = loadavg()

    print(f"{info['date']}  {info['nproc']} x {info['cpu']}  {info['openssl']}  "
          f"{info['apache']}  load {' '.join(info['load_before'])} -> "
          f"{' '.join(info['load_after'])}")
    print(f"median (min-max) of {args.rounds} interleaved rounds ({args.scale_rounds} for the "
          f"10,000-vhost rows); ratios per round; "
          f"TLS 1.3, ECDSA P-256 client leaf, RSA-4096 CA\n")
    print(bench.table())
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "rounds": args.rounds, "seconds": args.seconds,
                       "rows": bench.results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
