"""Test-facing control of the fake Cloudflare API.

The server runs in a thread of the test process (a real HTTPS server on
127.0.0.1 with an OS-chosen port, HTTP/1.1 keep-alive, one thread per
connection); this class talks to its state directly, under the server's
lock, so there is no control protocol to keep in sync.

    with FakeCloudflare(tmp_path) as cf:
        zid = cf.add_zone("example.com")
        cf.add_token("tok-rw")
        run_tool("--api-base", cf.base_url, "--cacert", cf.ca_file, ...)
        assert [r["method"] for r in cf.requests()] == [...]
"""

import copy
import os
import re
import threading

from lib.pki import PKI, name

from . import certs
from .server import (
    DEFAULT_ACCOUNT_ID, FAULT_KINDS, STATUSES, ZONE_ID_RE, Fault, FakeCloudflareApp,
    FakeHTTPServer, KillPlan, Lifecycle, Token, Zone, normalize_zone_name, ts_micro,
)


class FakeCloudflare:
    def __init__(self, workdir):
        """Create a throwaway CA and server certificate in WORKDIR."""
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        pki = PKI(self.workdir)
        ca = pki.issue("fakecf-ca", name("fakecf test CA"), ca=True, days=3650)
        server = pki.server("fakecf-server", ca, days=30)
        self.ca_file = ca.cert_path
        self._server_cert, self._server_key = server.cert_path, server.key_path
        self.app = FakeCloudflareApp()
        self._httpd = None
        self._thread = None
        self.base_url = None
        self.port = None

    # ------------------------------------------------------------ lifecycle
    def start(self):
        if self._httpd is None:
            self._httpd = FakeHTTPServer(self.app, self._server_cert, self._server_key)
            self.port = self._httpd.server_address[1]
            self.base_url = "https://127.0.0.1:%d/client/v4" % self.port
            self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="fakecf", daemon=True)
            self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(5)
            self._httpd = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ setup
    def add_zone(self, name, zone_id=None, ssl="full", tls_client_auth="off", zone_aop_enabled=False,
                 account_id=None):
        """Add a zone; returns its 32-hex id."""
        zone_id = (zone_id or os.urandom(16).hex()).lower()
        if not ZONE_ID_RE.fullmatch(zone_id):
            raise ValueError("zone_id must be 32 hex characters")
        with self.app.lock:
            self.app.zones[zone_id] = Zone(
                id=zone_id, name=normalize_zone_name(name), account_id=account_id or DEFAULT_ACCOUNT_ID,
                ssl=ssl, tls_client_auth=tls_client_auth, aop_enabled=zone_aop_enabled,
            )
        return zone_id

    def add_token(self, token, zone_ids=None, write=True, status="active", account_id=None,
                  not_before=None, expires_on=None):
        """Add an API token. zone_ids None = all zones; account_id set = an
        account-owned token (verified only at /accounts/{id}/tokens/verify)."""
        with self.app.lock:
            self.app.tokens[token] = Token(
                token=token, zone_ids=None if zone_ids is None else set(zone_ids), write=write,
                status=status, account_id=account_id, not_before=not_before, expires_on=expires_on,
            )

    def add_legacy_key(self, email, key):
        with self.app.lock:
            self.app.legacy[email] = key

    def _add_cert(self, zone_id, kind, cert_pem, key_pem, status):
        # Pre-existing certificates skip the upload checks (expired or CA
        # certificates may be planted on purpose); key_pem is only checked
        # to parse, as the real API stores it and never shows it again.
        if key_pem is not None:
            certs.load_private_key(key_pem)
        if status not in STATUSES:
            raise ValueError("status must be one of %s" % (STATUSES,))
        chain = certs.load_certificates(cert_pem)
        leaf = next((c for c in chain if not certs.is_ca(c)), chain[0])
        with self.app.lock:
            self._zone(zone_id)
            return self.app.store_cert(zone_id, kind, leaf, cert_pem.rstrip(), status).id

    def add_zone_cert(self, zone_id, cert_pem, key_pem, status="active"):
        """Plant an already uploaded zone certificate; returns its UUID."""
        return self._add_cert(zone_id, "zone", cert_pem, key_pem, status)

    def add_hostname_cert(self, zone_id, cert_pem, key_pem, status="active"):
        """Plant an already uploaded hostname certificate; returns its UUID."""
        return self._add_cert(zone_id, "hostname", cert_pem, key_pem, status)

    def set_association(self, zone_id, hostname, cert_id, enabled=True, status="active"):
        """Plant an association (enabled None removes it)."""
        with self.app.lock:
            self._zone(zone_id)
            cert = self.app.certs.get(cert_id)
            if cert is None or cert.kind != "hostname" or cert.zone_id != zone_id:
                raise ValueError("cert_id is not a hostname certificate of this zone")
            if status not in STATUSES:
                raise ValueError("status must be one of %s" % (STATUSES,))
            self.app.apply_association(zone_id, hostname.lower(), cert, enabled, status=status)

    def add_dns_record(self, zone_id, name, rtype, content, proxied=True, ttl=1):
        """Plant a DNS record (A, AAAA, CNAME...); returns its id."""
        with self.app.lock:
            self._zone(zone_id)
            return self.app.add_dns_record(zone_id, name, rtype.upper(), content, proxied, ttl)

    def edge_presents(self, zone_id, hostname):
        """TEST-ONLY (not a real API): what Cloudflare's edge presents to the
        origin for HOSTNAME right now, by Cloudflare's precedence; the same
        answer as GET edge_url(zone_id, hostname). See server.py E1."""
        return self.app.edge_presents(zone_id, hostname)

    def edge_url(self, zone_id, hostname):
        return "https://127.0.0.1:%d/_fake/edge/%s/%s" % (self.port, zone_id, hostname)

    def _zone(self, zone_id):
        if zone_id not in self.app.zones:
            raise KeyError("unknown zone %s" % zone_id)

    # ------------------------------------------------------------ lifecycle knobs
    def set_activation(self, gets=2):
        """New certificates and new/changed associations show
        pending_deployment for their first GETS reads, then active (a read:
        GET of it, a list containing it, a hostname status using it).
        0 = active at once (the upload answer already says active)."""
        with self.app.lock:
            self.app.activation_gets = int(gets)

    def set_deletion(self, gets=1):
        """DELETE answers pending_deletion; the certificate still shows
        pending_deletion for GETS further reads, then is gone (404)."""
        with self.app.lock:
            self.app.deletion_gets = int(gets)

    def fail_next_deployment(self, status="deployment_timed_out"):
        """The next upload (zone or hostname) turns into STATUS instead of
        active, and stays there."""
        if status not in STATUSES:
            raise ValueError("status must be one of %s" % (STATUSES,))
        with self.app.lock:
            self.app.fail_next = status

    def force_cert_status(self, cert_id, status):
        """Set a certificate's status; it stays until a DELETE (or another
        force) changes it."""
        if status not in STATUSES:
            raise ValueError("status must be one of %s" % (STATUSES,))
        with self.app.lock:
            cert = self.app.certs[cert_id]
            cert.life = Lifecycle(status, 0, sticky=True)
            cert.updated_at = ts_micro()

    def force_association_status(self, zone_id, hostname, status):
        """Set an association's status (sticky, like force_cert_status)."""
        if status not in STATUSES:
            raise ValueError("status must be one of %s" % (STATUSES,))
        with self.app.lock:
            assoc = self.app.assocs[(zone_id, hostname.lower())]
            assoc.life = Lifecycle(status, 0, sticky=True)
            assoc.updated_at = ts_micro()

    # ------------------------------------------------------------ faults
    def inject(self, method, path_re, kind, count=1, **params):
        """Apply a fault to the next COUNT requests whose method is METHOD
        ("*" = any) and whose path after /client/v4 matches the regex
        PATH_RE (re.search). Kinds: status, rate_limit, drop, malformed,
        success_false, slow. params["after_commit"]=True applies the
        request's effect before answering with the fault."""
        if kind not in FAULT_KINDS:
            raise ValueError("kind must be one of %s" % (FAULT_KINDS,))
        with self.app.lock:
            self.app.faults.append(Fault(method.upper(), re.compile(path_re), kind, int(count), params))

    def kill_client_at(self, n, after_commit=False):
        """Kill the client with SIGKILL when it sends its Nth request from now
        (n >= 1): before the request has any effect, or with after_commit
        once it had its effect and before the answer leaves. Returns the
        plan: call plan.target(pid) once the client's pid is known;
        plan.fired tells whether it happened."""
        plan = KillPlan(n, after_commit)
        with self.app.lock:
            self.app.kill_plan = plan
        return plan

    def clear_faults(self):
        with self.app.lock:
            self.app.faults.clear()

    def set_rate_limit(self, requests=1200, window=300):
        """REQUESTS per WINDOW seconds per token/key (sliding window)."""
        with self.app.lock:
            self.app.rl_requests, self.app.rl_window = int(requests), float(window)
            self.app.rl_hits.clear()

    # ------------------------------------------------------------ inspection
    def requests(self):
        """Every request so far, in arrival order: dicts with method, path
        (after /client/v4), query (dict), headers (lower-case names), json
        (parsed body or None), status (None for a dropped connection),
        time; also raw_path, query_string, body (text), response (text),
        fault (kind, when one was applied), exception (traceback on 500),
        processed (the API acted on it), committed_status (the status it
        computed, also when the answer was then lost)."""
        with self.app.lock:
            return copy.deepcopy(self.app.log)

    def clear_requests(self):
        with self.app.lock:
            self.app.log.clear()

    def state(self):
        """zones, settings, zone_certs, hostname_certs, associations as a
        JSON-able dict; reading it does not advance any lifecycle."""
        return self.app.state()

    def reset(self):
        """Back to empty: no zones, credentials, certificates, faults,
        requests; default lifecycle and rate limit settings."""
        self.app.reset()

