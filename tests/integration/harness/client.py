"""Clients for the tests: curl, openssl s_client, python http.client (keep-alive), python h2.

Every request goes through `Client._checked`, which enforces the suite's global
invariant: a client without a valid certificate (none, or one marked `attack`
by the PKI) never receives the body of a protected vhost, whatever the test
itself asserts.
"""
import http.client
import os
import re
import socket
import ssl
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import h2.config
import h2.connection
import h2.events

from . import conf
from .server import free_port, run

TIMEOUT = 20


@dataclass
class Response:
    status: Optional[int]
    headers: Dict[str, str] = field(default_factory=dict)   # lower-case names
    body: str = ""
    client_port: Optional[int] = None
    error: str = ""               # transport failure (no HTTP response)
    reused: Optional[bool] = None  # s_client only: TLS session resumed
    ca_names: List[str] = field(default_factory=list)  # s_client only
    cert_requested: Optional[bool] = None  # s_client only: server sent CertificateRequest
    http_version: str = ""
    raw: str = ""                 # everything the client printed (s_client)
    log_mark: int = 0             # error log offset before the request was made

    def var(self, name: str) -> Optional[str]:
        """The CFAOP_* variable as echoed by mod_headers; None when unset."""
        v = self.headers.get(conf.var_header(name).lower())
        return None if v in (None, "(null)") else v

    @property
    def gen(self) -> Optional[str]:
        return self.headers.get("x-gen")

    def __str__(self):
        return (f"<Response status={self.status} vars="
                f"{ {v: self.var(v) for v in conf.CFAOP_VARS} } error={self.error!r} "
                f"body={self.body[:200]!r}>")


def parse_head(text: str) -> Tuple[Optional[int], Dict[str, str]]:
    lines = text.replace("\r\n", "\n").split("\n")
    m = re.match(r"HTTP/\S+ (\d{3})", lines[0]) if lines else None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return (int(m.group(1)) if m else None), headers


def assert_no_protected_marker(resp: Response, why: str) -> None:
    assert conf.PROTECTED not in resp.body + resp.raw, \
        f"GLOBAL INVARIANT VIOLATED: protected content served ({why}): {resp}"


def assert_served(resp: Response, site: conf.Site) -> None:
    assert resp.status == 200 and site.marker in resp.body, \
        f"expected {site.name}'s page: {resp}"


def assert_refused(resp: Response, status: int, reason: Optional[str] = None,
                   verify: Optional[str] = None) -> None:
    """A refusal with the given status (and CFAOP_VERIFY_ERROR/CFAOP_VERIFY): no protected body."""
    assert_no_protected_marker(resp, "refused request")
    assert resp.status == status, f"expected {status}: {resp}"
    if reason is not None:
        assert resp.var("CFAOP_VERIFY_ERROR") == reason, f"expected reason {reason}: {resp}"
    if verify is not None:
        assert resp.var("CFAOP_VERIFY") == verify, f"expected CFAOP_VERIFY {verify}: {resp}"


# "CFAOP00016: rejected with 403: vhost=NAME:PORT hostname=H scope=S policy=N reason=R[ (detail)] leaf_sha256=HEX|-"
REJECTION = re.compile(
    r"CFAOP00016: (?:rejected with (?P<status>\d{3})|(?P<report>report mode, would reject)): "
    r"vhost=(?P<vhost>\S+):(?P<port>\d+) hostname=(?P<hostname>\S+) scope=(?P<scope>\w+) "
    r"policy=(?P<policy>\d+) reason=(?P<reason>[\w-]+)(?: \((?P<detail>.*)\))? "
    r"leaf_sha256=(?P<leaf>[0-9a-f]{64}|-)$")


def conn_log(server, resp: Response, tag: str = "") -> List[str]:
    """Error log lines of resp's TLS connection logged since the request, optionally one tag."""
    lines = server.log.client_lines(resp.client_port, resp.log_mark)
    return [l for l in lines if f"{tag}:" in l] if tag else lines


def rejections(server, resp: Response, hostname: str) -> List[str]:
    """CFAOP00016 lines of resp's connection about requests for `hostname`."""
    return [l for l in conn_log(server, resp, "CFAOP00016") if f" hostname={hostname} " in l]


def assert_rejection_logged(server, resp: Response, *, reason: str, leaf, vhost: str,
                            hostname: str, scope: str = "zone", report=False) -> None:
    """Exactly one CFAOP00016 line for this request, at info, with the expected fields.

    Lines are those of resp's connection for `hostname` (HTTP/2 streams share a connection)."""
    lines = rejections(server, resp, hostname)
    assert len(lines) == 1, f"expected one CFAOP00016 line, got {lines}"
    assert "[cfaop:info]" in lines[0], lines[0]
    m = REJECTION.search(lines[0])
    assert m, f"CFAOP00016 line not in the documented format: {lines[0]}"
    expected = {"vhost": vhost, "hostname": hostname, "scope": scope, "reason": reason,
                "leaf": leaf.sha256_hex if leaf else "-"}
    got = {k: m.group(k) for k in expected}
    assert got == expected, lines[0]
    assert int(m.group("port")) == server.ports[server.site(vhost).port], lines[0]
    if report:
        assert m.group("report"), lines[0]
    else:
        assert m.group("status") and int(m.group("status")) == resp.status, lines[0]


class Client:
    def __init__(self, server, pki):
        self.server = server
        self.pki = pki
        self.cafile = pki.srv_ca.cert_path
        self.tmp = tempfile.mkdtemp(prefix="client-", dir=server.root)

    def port(self, name: str) -> int:
        return self.server.ports[name]

    def _openssl_conf(self, seclevel: int) -> str:
        """An OpenSSL configuration whose TLS contexts start at `seclevel`."""
        path = os.path.join(self.tmp, f"openssl-seclevel{seclevel}.cnf")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write("openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n"
                        "[ssl_sect]\nsystem_default = tls_sect\n[tls_sect]\n"
                        f"CipherString = DEFAULT@SECLEVEL={seclevel}\n")
        return path

    @staticmethod
    def _checked(resp: Response, cert) -> Response:
        if cert is None or cert.attack:
            assert_no_protected_marker(
                resp, f"client certificate {cert.name if cert else None}")
        return resp

    # ------------------------------------------------------------------
    def curl(self, url_host: Optional[str], *, path="/", cert=None, host: Optional[str] = None,
             http2=False, tls: Optional[str] = None, port="main", scheme="https",
             headers: Sequence[str] = (), seclevel: Optional[int] = None) -> Response:
        """One request with curl. url_host=None connects to the IP (no SNI); host sets the Host header.

        seclevel lowers the client's OpenSSL security level (to present weak certificates)."""
        p = self.port(port)
        mark = self.server.log.mark()
        fd, head = tempfile.mkstemp(dir=self.tmp)
        os.close(fd)
        body = head + ".body"
        cmd = ["curl", "-s", "-S", "--max-time", str(TIMEOUT), "--cacert", self.cafile,
               "-D", head, "-o", body, "-w", "%{local_port} %{http_version}",
               "--http2" if http2 else "--http1.1"]
        if url_host is None:
            url = f"{scheme}://127.0.0.1:{p}{path}"
        else:
            url = f"{scheme}://{url_host}:{p}{path}"
            cmd += ["--resolve", f"{url_host}:{p}:127.0.0.1"]
        for h in ([f"Host: {host}"] if host else []) + list(headers):
            cmd += ["-H", h]
        if cert:
            cmd += ["--cert", cert.chain_path, "--key", cert.key_path]
        if tls == "1.2":
            cmd += ["--tlsv1.2", "--tls-max", "1.2"]
        elif tls == "1.3":
            cmd += ["--tlsv1.3"]
        env = None
        if seclevel is not None:
            # curl loads its certificate before it applies --ciphers: the
            # level must be the TLS context's default already.
            env = dict(os.environ, OPENSSL_CONF=self._openssl_conf(seclevel))
        r = run(cmd + [url], timeout=TIMEOUT + 10, env=env)
        resp = Response(None, log_mark=mark)
        if r.returncode != 0:
            resp.error = f"curl rc={r.returncode}: {r.stderr.strip()}"
        else:
            resp.status, resp.headers = parse_head(open(head).read())
            resp.body = open(body, errors="replace").read() if os.path.exists(body) else ""
            lp, resp.http_version = r.stdout.split()
            resp.client_port = int(lp)
            assert resp.http_version == ("2" if http2 else "1.1"), r.stdout
        return self._checked(resp, cert)

    # ------------------------------------------------------------------
    def s_client(self, sni: Optional[str], *, host: str, path="/", cert=None,
                 tls: Optional[str] = None, sess_in: Optional[str] = None,
                 sess_out: Optional[str] = None, port="main", repeat=1,
                 pha=False, seclevel: Optional[int] = None) -> Response:
        """HTTP/1.1 through openssl s_client; sni=None sends no SNI.

        pha offers TLS 1.3 post-handshake authentication; seclevel lowers the
        client's OpenSSL security level.

        repeat > 1 pipelines that many requests on the connection; the
        Response describes the first one (raw has them all)."""
        one = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
        request = (one + "\r\n") * (repeat - 1) + one + "Connection: close\r\n\r\n"
        mark = self.server.log.mark()
        for _ in range(3):
            # s_client cannot report its local port, so choose it (-bind).
            lport = free_port()
            cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{self.port(port)}",
                   "-bind", f"127.0.0.1:{lport}", "-CAfile", self.cafile,
                   "-verify_return_error", "-ign_eof", "-msg"]
            cmd += ["-servername", sni] if sni else ["-noservername"]
            if cert:
                cmd += ["-cert", cert.cert_path, "-key", cert.key_path]
                if cert.extra_chain_path:
                    cmd += ["-cert_chain", cert.extra_chain_path]
            if tls:
                cmd.append({"1.2": "-tls1_2", "1.3": "-tls1_3"}[tls])
            if sess_in:
                cmd += ["-sess_in", sess_in]
            if sess_out:
                cmd += ["-sess_out", sess_out]
            if pha:
                cmd.append("-enable_pha")
            if seclevel is not None:
                cmd += ["-cipher", f"DEFAULT@SECLEVEL={seclevel}"]
            # Bytes, not text: universal newlines would erase the CRLF framing used below.
            r = subprocess.run(cmd, input=request.encode(), capture_output=True,
                               timeout=TIMEOUT)
            stderr = r.stderr.decode(errors="replace")
            # Retry only when the chosen local port was taken meanwhile.
            if not any(s in stderr for s in ("bind", "in use", "errno=98", "errno=99")):
                break
        out = r.stdout.decode(errors="replace")
        resp = Response(None, client_port=lport, raw=out, log_mark=mark)
        # Printed once, right after the handshake: "New, TLSv1.3, ..." or "Reused, ...".
        resp.reused = bool(re.search(r"^Reused, ", out, re.M))
        m = re.search(r"^Acceptable client certificate CA names\n(.*?)\n(?=\S+ [A-Z]|---)",
                      out, re.M | re.S)
        resp.ca_names = m.group(1).splitlines() if m else []
        # -msg traces every handshake message the server sent.
        resp.cert_requested = bool(re.search(r"^<<< .*, CertificateRequest$", out, re.M))
        # s_client copies the response to stdout raw, possibly in the middle of a
        # (buffered, LF-only) TLS 1.3 ticket dump: find it by its CRLF framing.
        m = re.search(r"HTTP/1\.1 \d{3}[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n", out)
        if not m:
            resp.error = f"s_client rc={r.returncode}, no HTTP response: {stderr[-2000:]}"
        else:
            resp.status, resp.headers = parse_head(m.group(0))
            length = int(resp.headers.get("content-length", "0"))
            resp.body = out[m.end():m.end() + length]
        return self._checked(resp, cert)

    # ------------------------------------------------------------------
    def _tls_socket(self, sni: Optional[str], cert, port: str, alpn: Sequence[str],
                    tls: Optional[str] = None) -> ssl.SSLSocket:
        ctx = ssl.create_default_context(cafile=self.cafile)
        # No SNI means no name to check; the CA still authenticates the server.
        ctx.check_hostname = sni is not None
        ctx.set_alpn_protocols(list(alpn))
        if cert:
            ctx.load_cert_chain(cert.chain_path, cert.key_path)
        if tls:
            v = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[tls]
            ctx.minimum_version = ctx.maximum_version = v
        sock = socket.create_connection(("127.0.0.1", self.port(port)), timeout=TIMEOUT)
        return ctx.wrap_socket(sock, server_hostname=sni)

    def keepalive(self, sni: Optional[str], requests: Sequence[Tuple[str, str]], *,
                  cert=None, tls: Optional[str] = None, port="main",
                  between: Optional[Callable[[], None]] = None) -> List[Response]:
        """HTTP/1.1 requests (Host, path) on ONE keep-alive TLS connection;
        `between` runs before each request after the first (e.g. to wait).

        Stops early when the server ends the connection (Apache does after a
        request refused before its handler), so fewer responses may come back."""
        mark = self.server.log.mark()
        sock = self._tls_socket(sni, cert, port, ["http/1.1"], tls)
        lport = sock.getsockname()[1]
        conn = http.client.HTTPConnection("127.0.0.1", self.port(port), timeout=TIMEOUT)
        conn.sock = sock
        out = []
        try:
            for i, (host, path) in enumerate(requests):
                # http.client would silently open a new (plain) connection otherwise.
                if conn.sock is not sock:
                    break
                if between and i > 0:
                    between()
                try:
                    conn.request("GET", path, headers={"Host": host})
                    r = conn.getresponse()
                except (http.client.RemoteDisconnected, ConnectionError):
                    break
                resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                                r.read().decode(errors="replace"), client_port=lport,
                                http_version="1.1", log_mark=mark)
                out.append(self._checked(resp, cert))
        finally:
            conn.close()
        return out

    def h2(self, sni: Optional[str], requests: Sequence[Tuple[str, str]], *, cert=None,
           port="main") -> List[Response]:
        """Concurrent HTTP/2 streams (:authority, :path) on ONE TLS connection."""
        mark = self.server.log.mark()
        sock = self._tls_socket(sni, cert, port, ["h2"])
        assert sock.selected_alpn_protocol() == "h2", "server did not negotiate h2"
        lport = sock.getsockname()[1]
        conn = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8"))
        conn.initiate_connection()
        streams = {}
        for authority, path in requests:
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, [(":method", "GET"), (":scheme", "https"),
                                    (":authority", authority), (":path", path)],
                              end_stream=True)
            streams[sid] = Response(None, client_port=lport, http_version="2", log_mark=mark)
        sock.sendall(conn.data_to_send())
        pending = set(streams)
        try:
            while pending:
                data = sock.recv(65536)
                if not data:
                    break
                for ev in conn.receive_data(data):
                    if isinstance(ev, h2.events.ResponseReceived):
                        hdrs = dict(ev.headers)
                        streams[ev.stream_id].status = int(hdrs.pop(":status"))
                        streams[ev.stream_id].headers = {k.lower(): v for k, v in hdrs.items()}
                    elif isinstance(ev, h2.events.DataReceived):
                        streams[ev.stream_id].body += ev.data.decode(errors="replace")
                        conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                        pending.discard(ev.stream_id)
                    elif isinstance(ev, h2.events.ConnectionTerminated):
                        pending.clear()
                sock.sendall(conn.data_to_send())
        finally:
            sock.close()
        return [self._checked(streams[sid], cert) for sid in sorted(streams)]
