"""A fake of the Cloudflare v4 API, limited to what cfaop uses.

It follows /work/shared/reference/cloudflare-aop-api.md (cited below as
"ref §N"). The HTTP part (FakeHTTPServer/Handler) only moves bytes; every
API rule lives in FakeCloudflareApp, one method per rule:

    envelope()          the v4 response envelope           (ref §1.1)
    _authenticate()     auth headers -> credential or error (ref §7, §8.1)
    _rate_limit()       sliding-window limit + headers      (ref §8.3)
    _zone_for()         zone id format / existence / scope  (ref §7)
    _observe()          certificate/association lifecycle   (ref §5)
    _parse_upload()     PEM checks for Z1/H1                (ref §3.3, §3.5)
    _fault_response()   injected faults (test-only)
    _kill_client()      SIGKILL of the client at its Nth request (test-only)

Assumptions not confirmed by the reference
-------------------------------------------
(Each is a plausible choice; the real API may differ.)

Auth
 A1. No credential header at all -> HTTP 400, code 6003 "Invalid request
     headers" with error_chain [6111 "Invalid format for Authorization
     header"] (as for a malformed Bearer value). The real API may answer
     9106/9107 ("Missing X-Auth-Email/Key header") instead.
 A2. A Bearer value must be exactly "Bearer <token>" (scheme case-
     insensitive, one space) with token characters [A-Za-z0-9._-] (real
     tokens are 40 such characters); anything else, including stray
     spaces/newlines or a missing scheme, is 6003/6111.
 A3. Well-formed but unknown token, or a token whose status is not
     "active" -> HTTP 401, code 1000 "Invalid API Token" (ref §7 says
     400/401/403). Token verify reports disabled/expired tokens as 200
     with result.status = "disabled"/"expired" and no 10000 message.
 A4. Legacy key: only one of X-Auth-Email/X-Auth-Key -> 400 6003 with
     error_chain 9106/9107 "Missing X-Auth-Email/X-Auth-Key header";
     whitespace or control characters in them -> 400 6003 with
     6102/6103 "Invalid format for X-Auth-Email/X-Auth-Key header";
     unknown pair -> HTTP 403, code 9103 "Unknown X-Auth-Key or
     X-Auth-Email". Key format is otherwise not checked (real keys are 37
     hex characters).
 A5. When both Authorization and X-Auth-* are present, Authorization wins.
 A6. Token verify (T1/T2) with a legacy key -> 400 6003/6111 (verify is
     for tokens). A user token on T2, or an account token on another
     account's T2 -> 401 1000. An account-owned token on T1 -> 401 1000
     "Invalid API Token" (that part is observed, ref §3.9).
 A7. Permission model: a token has a zone list (None = every zone) and a
     read/write flag; legacy keys can do everything. A zone outside the
     token's list, or a non-GET with a read-only token -> HTTP 403, code
     10000 "Authentication error". GET /zones only lists the zones the
     token can see. Account ownership of a token only matters for verify.
 A8. Check order: route -> auth -> rate limit -> body JSON -> zone -> handler.

Zones, routes
 Z1. A zone id that is not 32 lower-case hex characters -> HTTP 400, code
     1003 "Invalid format for zone id" (observed code, status assumed). A
     well-formed id of no existing zone -> HTTP 404 with 7003 "Could not
     route to /zones/<id>, perhaps your object identifier is invalid?" +
     7000 "No route for that URI" (ref §7 says 400/404).
 Z2. Unknown route -> HTTP 404 with the same 7003 + 7000 pair; known route
     with another method -> HTTP 405, code 7001 "Method not allowed for
     this route" (invented).
 Z3. GET /zones: per_page default 20, clamped to 5..50; page >= 1; a
     non-integer page/per_page -> 400 code 1001 "Invalid page/per_page
     value" (invented). name is compared lower-cased without trailing dot;
     the name operators (starts_with: ...) are not modelled. status and
     account.id filters are supported.
 Z4. GET /zones/{id} (zone details) is served too (not in ref §2, but a
     real endpoint).
 Z5. Malformed JSON body or a body that is not a JSON object -> 400, code
     6007 "Malformed JSON in request body" (invented).

Settings
 S1. settings/ssl and settings/tls_client_auth start with modified_on null
     (the field is nullable, ref §3.2) and get a timestamp on the first
     PATCH. A bad or missing value -> 400, code 1007 "Invalid value for
     zone setting <id>". No certificate_status field.
 S2. origin_tls_client_auth/settings PUT with "enabled" missing or not a
     boolean -> 400, code 1400 "enabled must be a boolean" (invented).

Certificates (zone Z1-Z4 and hostname H1-H4)
 C1. Upload errors, all HTTP 400 (codes invented, 14xx next to the
     observed 1415):
       1400 certificate/private_key missing or not a string
       1401 certificate does not parse as PEM
       1402 private_key does not parse (encrypted keys included)
       1403 private key does not match the certificate
       1404 certificate is expired (the real API probably refuses it too)
       1405 "missing leaf certificate" (hostname upload without a leaf;
            the message text is the documented one)
       1406 11th hostname certificate in a zone (limit 10; certificates in
            pending_deletion/deleted do not count)
     A zone upload accepts a CA certificate (ref only requires a leaf for
     per-hostname AOP). In a bundle the first non-CA certificate is the one
     reported (zone uploads fall back to the first certificate).
 C2. The returned "certificate" is the uploaded PEM text with trailing
     whitespace removed (the ref's example ends at "-----END
     CERTIFICATE-----"): clients must not compare PEM byte-for-byte.
 C3. Zone cert objects carry id, status, issuer, signature, serial_number,
     certificate, uploaded_on, updated_at, expires_on (no "enabled", whose
     presence is unconfirmed). Hostname cert objects carry id, status,
     issuer, signature, serial_number, certificate, uploaded_on,
     expires_on. H2 (list) returns these certificate-shaped items.
     private_key is never returned.
 C4. Unknown (or already vanished) certificate id -> HTTP 404, code 1407
     "Certificate not found" (invented code).
 C5. DELETE of a certificate in pending_deployment -> 400, code 1408
     "Certificate is pending deployment and cannot be deleted yet"
     (invented, zone and hostname alike). DELETE of a hostname certificate
     that any association (enabled true or false) references -> 400, code
     1409 "Certificate is in use by one or more hostnames" (invented).
     DELETE of a certificate already in pending_deletion returns it again
     (200). Other statuses (active, *_timed_out, ...) may be deleted.
 C6. Lifecycle (ref §5: upload -> pending_deployment -> active; delete ->
     pending_deletion -> gone) is driven by reads instead of time: see
     FakeCloudflare.set_activation/set_deletion. The first N reads show
     pending_deployment, read N+1 shows active (N=0: the upload response
     already says active). After DELETE the next N reads still show
     pending_deletion, then the certificate is gone (404, missing from
     lists). A "read" of a certificate is: its GET, a list containing it,
     an A2 status of an association using it. fail_next_deployment(s):
     where the next upload would turn active it turns into s and stays.
 C7. Uploads are not deduplicated (ref §11: no dedupe documented).

Associations (A1/A2)
 H1. Each config item needs "hostname" (non-empty string, <= 255, letters,
     digits, "-", "." and an optional leading "*.") and "cert_id" (string):
     missing/invalid -> 400 code 1410 "Invalid hostname" / 1412 "cert_id
     is required" (invented). "enabled" must be present and true, false or
     null -> else 400 1416 "enabled must be true, false or null" (invented;
     a Go backend might read a missing field as null, i.e. void). "config"
     must be a non-empty array of objects -> else 400 1417 (invented).
 H2. cert_id that is unknown, a zone-level certificate, or in
     pending_deletion/deleted -> 400 1415 (observed message).
 H3. More than 100 associations on one certificate -> 400 1411 "Maximum
     number of hostnames (100) for this certificate reached" (invented).
 H4. A PUT is validated as a whole before anything changes (all or
     nothing). Duplicate hostnames in one PUT: the last item wins.
 H5. enabled:null removes the hostname's association whichever cert_id
     it had; the PUT result item then shows enabled null and status
     "deleted". Voiding a hostname without association is accepted (same
     answer).
 H6. A new association, or one whose cert_id or enabled changed, is
     pending_deployment and follows C6 counting only A2 reads of that
     hostname; an unchanged item keeps its status. created_at is
     "0001-01-01T00:00:00Z" as in the ref's real example.
 H7. GET .../hostnames/{hostname} without association -> HTTP 404, code
     1414 "No association found for hostname" (invented).
 H8. Hostnames are compared lower-cased. No check that the hostname is in
     the zone (Cloudflare for SaaS custom hostnames are not).

DNS records (GET /zones/{id}/dns_records, the real endpoint's envelope)
 D1. Records carry id (32 hex), zone_id, zone_name, name, type, content,
     proxiable, proxied, ttl (1 = automatic), locked, meta, comment, tags,
     created_on, modified_on. Filters: type, name (exact, lower-cased),
     proxied (true/false), content. Paginated: page >= 1, per_page default
     100, clamped to 5..5000; result_info {page, per_page, count,
     total_count, total_pages}. A non-integer page/per_page -> 400 code 1001
     (as for GET /zones).

Edge (TEST-ONLY, not part of the real API)
 E1. GET /_fake/edge/{zone_id}/{hostname} (outside /client/v4, no
     credentials, never rate limited) answers {"hostname", "level",
     "cert_id", "certificate", "why"}: what Cloudflare's edge presents to
     the origin for HOSTNAME now, by Cloudflare's precedence (ref §3.1,
     §3.3, §3.6): SSL mode off/flexible -> "none" (AOP does not apply); an
     association with enabled false -> "none"; enabled true whose
     certificate is active -> "hostname"; zone-level enabled with an active
     zone certificate -> "zone", the most recently uploaded active one;
     tls_client_auth on -> "global" (Cloudflare's shared certificate,
     certificate null: nobody can download it); else "none". Reading it
     advances no lifecycle. FakeCloudflare.edge_presents() is the same
     answer without HTTP.

Lists, rate limit, misc
 L1. AOP lists (Z2, H2) carry result_info {page: 1, per_page: max(20,
     count), count, total_count} so nobody is tempted to paginate (ref
     §1.2: they are single pages).
 L2. Rate limit per credential (token string / key email), sliding window,
     counted only for authenticated requests that passed the limit;
     rejected requests do not count. The real 5-minute lockout is not
     modelled: Retry-After = seconds until a slot frees, rounded up.
     Every response carries Ratelimit: "default";r=<remaining>;t=<seconds
     until the oldest counted request leaves the window> and
     Ratelimit-Policy: "default";q=<limit>;w=<window>.
 L3. An unhandled exception -> HTTP 500, code 10001 "Internal server
     error" (invented); the traceback is kept in the request record.
 L4. cf-ray: 16 hex digits + "-SJC"; Server: cloudflare.

Not modelled (real API behaviour the fake leaves out)
-----------------------------------------------------
 - Time: deployment/deletion progress by reads, never by the clock.
 - The 5-minute lockout after a 429, the 200 req/s per-IP limit, the older
   10100 rate-limit body, Retry-After-Ms / x-should-retry headers.
 - Pulls from origins: the fake stores settings and never connects to an
   origin. Which certificate the edge would present right now is answered
   by a TEST-ONLY endpoint that is not part of the real API (E1 below).
 - DNS records other than a read-only list (no create/edit/delete routes;
   tests plant records with FakeCloudflare.add_dns_record).
 - Permission groups (Zone Read, SSL and Certificates Read/Write, Zone
   Settings Write) beyond one read/write flag per token; account scoping
   of tokens; plan restrictions (tls_client_auth "Enterprise only"?).
 - X-Auth-User-Service-Key, HTTP/2, zone statuses other than active,
   zone settings other than ssl and tls_client_auth, name filter
   operators of GET /zones, pagination of AOP lists.
 - Certificates cryptography 38 cannot parse (e.g. ML-DSA, accepted by
   the real API since 2026-06) are refused as unparsable (1401).
 - The exact error codes/messages of all assumed errors above.
"""

import datetime
import json
import math
import os
import re
import secrets
import socket
import ssl
import threading
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qsl, unquote, urlsplit

from . import certs as pki

API_PREFIX = "/client/v4"
# TEST-ONLY routes of the fake (E1), outside the real API's prefix.
EDGE_PREFIX = "/_fake/edge"

# Status enum shared by certificates and associations (ref §5).
STATUSES = (
    "initializing", "pending_deployment", "pending_deletion", "active",
    "deleted", "deployment_timed_out", "deletion_timed_out",
)
SSL_VALUES = ("off", "flexible", "full", "strict", "origin_pull")  # ref §3.7
MAX_HOSTNAME_CERTS = 10       # ref §6
MAX_ASSOCIATIONS_PER_CERT = 100  # ref §6
MAX_HOSTNAME_LEN = 255        # ref §6
HOSTNAME_RE = re.compile(r"(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
ZONE_ID_RE = re.compile(r"[0-9a-f]{32}")
TOKEN_RE = re.compile(r"(?i:bearer) ([A-Za-z0-9._-]+)")  # scheme case-insensitive (RFC 7235)
GO_ZERO_TIME = "0001-01-01T00:00:00Z"
DEFAULT_ACCOUNT_ID = "01a7362d577a6c3019a474fd6f485823"


# --------------------------------------------------------------------------
# Errors and the envelope
# --------------------------------------------------------------------------


def error_item(code, message, chain=None):
    item = {"code": code, "message": message}
    if chain:
        item["error_chain"] = [{"code": c, "message": m} for c, m in chain]
    return item


class ApiError(Exception):
    """An API failure: HTTP status + v4 error items."""

    def __init__(self, status, code, message, chain=None, more=(), headers=None):
        super().__init__("%s %s %s" % (status, code, message))
        self.status = status
        self.errors = [error_item(code, message, chain)] + list(more)
        self.headers = headers or {}


def envelope(result=None, errors=(), messages=(), result_info=None):
    """The v4 envelope (ref §1.1). success follows from errors."""
    body = {
        "success": not errors,
        "errors": list(errors),
        "messages": list(messages),
        "result": None if errors else result,
    }
    if result_info is not None and not errors:
        body["result_info"] = result_info
    return body


# Error constructors, one per documented/assumed error (see module doc).
def err_auth_format(chain_code=6111, chain_msg="Invalid format for Authorization header"):
    return ApiError(400, 6003, "Invalid request headers", chain=[(chain_code, chain_msg)])


def err_invalid_token():
    return ApiError(401, 1000, "Invalid API Token")


def err_forbidden():
    return ApiError(403, 10000, "Authentication error")


def err_no_route(path):
    return ApiError(
        404, 7003, "Could not route to %s, perhaps your object identifier is invalid?" % path,
        more=[error_item(7000, "No route for that URI")],
    )


def err_bad_request(code, message):
    return ApiError(400, code, message)


def err_cert_not_found():
    return ApiError(404, 1407, "Certificate not found")


def err_1415():
    return ApiError(400, 1415, "Certificate ID in request is either invalid or the certificate has been deleted")


# --------------------------------------------------------------------------
# Time formats (ref §1: RFC 3339, often with microseconds)
# --------------------------------------------------------------------------


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def ts_micro(dt=None):
    return (dt or now_utc()).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ts_seconds(naive_utc):
    return naive_utc.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------


@dataclass
class Zone:
    id: str
    name: str
    account_id: str
    ssl: str = "full"
    ssl_modified: Optional[str] = None
    tls_client_auth: str = "off"
    tls_client_auth_modified: Optional[str] = None
    aop_enabled: bool = False
    created_on: str = field(default_factory=ts_micro)


@dataclass
class Token:
    token: str
    zone_ids: Optional[set]
    write: bool
    status: str
    account_id: Optional[str]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    not_before: Optional[str] = None
    expires_on: Optional[str] = None


@dataclass
class Lifecycle:
    """Status + read counter of a certificate or association (assumption C6).

    reads_left counts the reads that still show the current transitional
    status; final is what pending_deployment turns into; sticky statuses
    never move on their own.
    """

    status: str = "pending_deployment"
    reads_left: int = 0
    final: str = "active"
    sticky: bool = False


@dataclass
class Cert:
    id: str
    kind: str  # "zone" | "hostname"
    zone_id: str
    pem: str
    issuer: str
    signature: str
    serial_number: str
    expires_on: str
    is_ca: bool
    uploaded_on: str
    updated_at: str
    life: Lifecycle

    def api(self):
        obj = {
            "id": self.id,
            "status": self.life.status,
            "issuer": self.issuer,
            "signature": self.signature,
            "serial_number": self.serial_number,
            "certificate": self.pem,
            "uploaded_on": self.uploaded_on,
        }
        if self.kind == "zone":
            obj["updated_at"] = self.updated_at
        obj["expires_on"] = self.expires_on
        return obj


@dataclass
class Association:
    hostname: str
    cert_id: str
    enabled: Optional[bool]
    life: Lifecycle
    created_at: str = GO_ZERO_TIME
    updated_at: str = field(default_factory=ts_micro)

    def api(self, cert):
        return {
            "hostname": self.hostname,
            "cert_id": self.cert_id,
            "enabled": self.enabled,
            "status": self.life.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "cert_status": cert.life.status if cert else None,
            "issuer": cert.issuer if cert else None,
            "signature": cert.signature if cert else None,
            "serial_number": cert.serial_number if cert else None,
            "certificate": cert.pem if cert else None,
            "cert_uploaded_on": cert.uploaded_on if cert else None,
            "cert_updated_at": cert.updated_at if cert else None,
            "expires_on": cert.expires_on if cert else None,
        }


@dataclass
class Fault:
    method: str
    path_re: "re.Pattern"
    kind: str
    count: int
    params: dict


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict
    drop: bool = False


FAULT_KINDS = ("status", "rate_limit", "drop", "malformed", "success_false", "slow")


class KillPlan:
    """Kill the client process (SIGKILL) at its AT-th request from now."""

    def __init__(self, at, after_commit):
        self.at, self.after_commit, self.seen = int(at), bool(after_commit), 0
        self.pid = None
        self._known = threading.Event()
        self.fired = False

    def target(self, pid):
        """The client's pid, known once it started (it may already be talking)."""
        self.pid = pid
        self._known.set()

    def kill(self):
        if self._known.wait(10):
            self.fired = True
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass


class FakeCloudflareApp:
    """All API behaviour and state; thread-safe through one lock."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    # ------------------------------------------------------------ state
    def reset(self):
        with self.lock:
            self.zones = {}            # id -> Zone
            self.tokens = {}           # token -> Token
            self.legacy = {}           # email -> key
            self.certs = {}            # id -> Cert (both kinds; kind tells)
            self.assocs = {}           # (zone_id, hostname) -> Association
            self.dns = {}              # zone_id -> [dns record dicts]
            self.activation_gets = 2
            self.deletion_gets = 1
            self.fail_next = None
            self.faults = []
            self.kill_plan = None
            self.rl_requests, self.rl_window = 1200, 300
            self.rl_hits = {}          # credential key -> deque of times
            self.log = []

    # ------------------------------------------------------------ lifecycle
    def new_life(self, status, final="active"):
        """Lifecycle for an object entering STATUS by an API call (C6).

        Only the two pending_* statuses move on by themselves; FINAL is
        what pending_deployment turns into (fail_next_deployment).
        """
        if status == "pending_deployment":
            if self.activation_gets == 0:
                return Lifecycle(final, 0, final, sticky=True)
            return Lifecycle(status, self.activation_gets, final)
        if status == "pending_deletion":
            return Lifecycle(status, self.deletion_gets)
        return Lifecycle(status, 0, sticky=True)

    def _observe(self, obj):
        """One read of OBJ (a Cert or Association): advance its lifecycle.

        Returns False when the object vanished with this read (a cert whose
        pending_deletion reads are used up), True otherwise.
        """
        life = obj.life
        if life.sticky:
            return True
        if life.status == "pending_deployment":
            if life.reads_left > 0:
                life.reads_left -= 1
                return True
            life.status, life.sticky = life.final, True
            self._touch(obj)
            return True
        if life.status == "pending_deletion":
            if life.reads_left > 0:
                life.reads_left -= 1
                return True
            self._vanish(obj)
            return False
        return True

    def _touch(self, obj):
        obj.updated_at = ts_micro()

    def _vanish(self, obj):
        if isinstance(obj, Cert):
            self.certs.pop(obj.id, None)

    # ------------------------------------------------------------ dispatch
    def handle(self, method, target, headers, body):
        """Answer one HTTP request. HEADERS: dict with lower-case names."""
        split = urlsplit(target)
        path = unquote(split.path)
        api_path = path[len(API_PREFIX):] if path.startswith(API_PREFIX + "/") else path
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        try:
            parsed_json = json.loads(body) if body else None
        except ValueError:
            parsed_json = None
        record = {
            "method": method, "path": api_path, "raw_path": split.path, "query": query,
            "query_string": split.query, "headers": dict(headers), "json": parsed_json,
            "body": body.decode("utf-8", "replace"), "status": None, "time": time.time(),
        }
        if path.startswith(EDGE_PREFIX + "/"):
            return self._edge_response(method, path, record)
        with self.lock:
            self.log.append(record)
            fault = self._take_fault(method, api_path)
            kill = self._take_kill()
        if kill:
            return self._kill_client(kill, record, method, path, api_path, query, headers, body)
        if fault:
            record["fault"] = fault.kind
        if fault and fault.kind == "slow":
            time.sleep(float(fault.params.get("seconds", 1)))
            fault = None
        if fault and not fault.params.get("after_commit"):
            resp = self._fault_response(fault)
        else:
            resp = self._process(method, path, api_path, query, headers, body, record)
            if fault:  # after_commit: the effect happened, the answer is lost
                resp = self._fault_response(fault)
        record["status"] = None if resp.drop else resp.status
        record["response"] = None if resp.drop else resp.body.decode("utf-8", "replace")
        return resp

    def _take_kill(self):
        plan = self.kill_plan
        if plan is None:
            return None
        plan.seen += 1
        if plan.seen < plan.at:
            return None
        self.kill_plan = None
        return plan

    def _kill_client(self, plan, record, method, path, api_path, query, headers, body):
        """The client dies at this request: before the API saw it, or (after_commit)
        once its effect happened but before the answer left."""
        record["fault"] = "kill_after_commit" if plan.after_commit else "kill"
        if plan.after_commit:
            self._process(method, path, api_path, query, headers, body, record)
        plan.kill()
        record["status"] = record["response"] = None
        return Response(0, b"", {}, drop=True)

    def _process(self, method, path, api_path, query, headers, body, record):
        record["processed"] = True
        cred_key = None
        try:
            with self.lock:
                if not path.startswith(API_PREFIX + "/"):
                    raise err_no_route(path)
                handler, params = self._route(method, api_path)
                cred = self._authenticate(headers, handler)
                cred_key = cred["key"]
                self._rate_limit(cred_key)
                data = self._parse_body(method, body)
                zone = self._zone_for(params, cred, method) if "zone_id" in params else None
                ctx = Ctx(cred=cred, params=params, query=query, data=data, zone=zone, method=method)
                result = handler(ctx)
                status, payload = 200, result
        except ApiError as e:
            status, payload = e.status, (e.errors, e.headers)
        except Exception:  # a bug in the fake: answer like a server would
            record["exception"] = traceback.format_exc()
            status, payload = 500, ([error_item(10001, "Internal server error")], {})
        if status == 200:
            result, result_info, messages = payload
            body_obj = envelope(result, messages=messages, result_info=result_info)
            extra = {}
        else:
            errors, extra = payload
            body_obj = envelope(errors=errors)
        record["committed_status"] = status
        return self._json_response(status, body_obj, cred_key, extra)

    def _json_response(self, status, body_obj, cred_key=None, extra_headers=None):
        headers = {"Content-Type": "application/json"}
        headers.update(self._common_headers(cred_key))
        headers.update(extra_headers or {})
        return Response(status, json.dumps(body_obj).encode(), headers)

    def _common_headers(self, cred_key):
        with self.lock:
            remaining, reset = self._rl_status(cred_key)
            return {
                "cf-ray": "%s-SJC" % secrets.token_hex(8),
                "Ratelimit": '"default";r=%d;t=%d' % (remaining, reset),
                "Ratelimit-Policy": '"default";q=%d;w=%d' % (self.rl_requests, self.rl_window),
            }

    # ------------------------------------------------------------ routing
    def _route(self, method, api_path):
        for pattern, methods, kind in self.routes():
            m = pattern.fullmatch(api_path)
            if not m:
                continue
            if method not in methods:
                raise ApiError(405, 7001, "Method not allowed for this route")
            return methods[method], dict(m.groupdict(), _kind=kind)
        raise err_no_route(API_PREFIX + api_path)

    def routes(self):
        """Route table, most specific first (ref §2).

        Entries: (path regex, {method: handler}[, certificate kind]); the
        zone and hostname certificate routes share handlers.
        """
        z = r"/zones/(?P<zone_id>[^/]+)"
        aop = z + r"/origin_tls_client_auth"
        table = [
            (r"/user/tokens/verify", {"GET": self.h_verify_user}),
            (r"/accounts/(?P<account_id>[^/]+)/tokens/verify", {"GET": self.h_verify_account}),
            (r"/zones", {"GET": self.h_list_zones}),
            (z, {"GET": self.h_get_zone}),
            (z + r"/settings/(?P<setting>ssl|tls_client_auth)",
             {"GET": self.h_get_setting, "PATCH": self.h_patch_setting}),
            (aop + r"/settings", {"GET": self.h_get_aop_settings, "PUT": self.h_put_aop_settings}),
            (aop + r"/hostnames/certificates",
             {"GET": self.h_list_certs, "POST": self.h_upload_cert}, "hostname"),
            (aop + r"/hostnames/certificates/(?P<cert_id>[^/]+)",
             {"GET": self.h_get_cert, "DELETE": self.h_delete_cert}, "hostname"),
            (aop + r"/hostnames", {"PUT": self.h_put_hostnames}),
            (aop + r"/hostnames/(?P<hostname>[^/]+)", {"GET": self.h_get_hostname}),
            (z + r"/dns_records", {"GET": self.h_list_dns}),
            (aop, {"GET": self.h_list_certs, "POST": self.h_upload_cert}),
            (aop + r"/(?P<cert_id>[^/]+)", {"GET": self.h_get_cert, "DELETE": self.h_delete_cert}),
        ]
        return [(re.compile(e[0]), e[1], e[2] if len(e) > 2 else "zone") for e in table]

    # ------------------------------------------------------------ auth
    def _authenticate(self, headers, handler):
        """Return the credential {"kind","key","token"|"email"} or raise (A1-A7)."""
        is_verify = handler in (self.h_verify_user, self.h_verify_account)
        auth = headers.get("authorization")
        email, key = headers.get("x-auth-email"), headers.get("x-auth-key")
        if auth is not None:
            m = TOKEN_RE.fullmatch(auth)
            if not m:
                raise err_auth_format()
            tok = self.tokens.get(m.group(1))
            if tok is None or (tok.status != "active" and not is_verify):
                raise err_invalid_token()
            return {"kind": "token", "key": "token:" + tok.token, "token": tok}
        if email is None and key is None:
            raise err_auth_format()
        if is_verify:
            raise err_auth_format()
        if email is None:
            raise err_auth_format(9106, "Missing X-Auth-Email header")
        if key is None:
            raise err_auth_format(9107, "Missing X-Auth-Key header")
        if not re.fullmatch(r"[^\s@]+@[^\s@]+", email):
            raise err_auth_format(6102, "Invalid format for X-Auth-Email header")
        if not re.fullmatch(r"[A-Za-z0-9]+", key):
            raise err_auth_format(6103, "Invalid format for X-Auth-Key header")
        if self.legacy.get(email) != key:
            raise ApiError(403, 9103, "Unknown X-Auth-Key or X-Auth-Email")
        return {"kind": "key", "key": "key:" + email, "email": email}

    @staticmethod
    def _can_see(cred, zone_id):
        if cred["kind"] != "token":
            return True
        zones = cred["token"].zone_ids
        return zones is None or zone_id in zones

    def _zone_for(self, params, cred, method):
        """Resolve {zone_id} in the path and check the credential's scope."""
        zone_id = params["zone_id"]
        if not ZONE_ID_RE.fullmatch(zone_id):
            raise ApiError(400, 1003, "Invalid format for zone id")
        zone = self.zones.get(zone_id)
        if zone is None:
            raise err_no_route("/zones/" + zone_id)
        if not self._can_see(cred, zone_id):
            raise err_forbidden()
        if method != "GET" and cred["kind"] == "token" and not cred["token"].write:
            raise err_forbidden()
        return zone

    # ------------------------------------------------------------ rate limit
    def _rl_window(self, cred_key, now):
        hits = self.rl_hits.setdefault(cred_key, deque())
        while hits and hits[0] <= now - self.rl_window:
            hits.popleft()
        return hits

    def _rl_status(self, cred_key):
        """(remaining, seconds until the oldest counted hit expires)."""
        if cred_key is None:
            return self.rl_requests, 0
        now = time.monotonic()
        hits = self._rl_window(cred_key, now)
        reset = math.ceil(hits[0] + self.rl_window - now) if hits else 0
        return max(0, self.rl_requests - len(hits)), reset

    def _rate_limit(self, cred_key):
        now = time.monotonic()
        hits = self._rl_window(cred_key, now)
        if len(hits) >= self.rl_requests:
            retry = max(1, math.ceil(hits[0] + self.rl_window - now))
            raise ApiError(429, 971, "Please wait and consider throttling your request speed",
                           headers={"Retry-After": str(retry)})
        hits.append(now)

    # ------------------------------------------------------------ bodies
    @staticmethod
    def _parse_body(method, body):
        if method not in ("POST", "PUT", "PATCH"):
            return None
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else None
        except ValueError:  # UnicodeDecodeError included
            data = None
        if not isinstance(data, dict):
            raise err_bad_request(6007, "Malformed JSON in request body")
        return data

    # ------------------------------------------------------------ faults
    def _take_fault(self, method, api_path):
        for f in self.faults:
            if f.count > 0 and f.method in ("*", method) and f.path_re.search(api_path):
                f.count -= 1
                if f.count == 0:
                    self.faults.remove(f)
                return f
        return None

    def _fault_response(self, fault):
        p = fault.params
        if fault.kind == "drop":
            return Response(0, b"", {}, drop=True)
        if fault.kind == "status":
            status = int(p.get("status", 500))
            msg = p.get("message") or HTTPStatus(status).phrase
            return self._json_response(status, envelope(errors=[error_item(int(p.get("code", 10001)), msg)]))
        if fault.kind == "rate_limit":
            return self._json_response(
                429, envelope(errors=[error_item(971, "Please wait and consider throttling your request speed")]),
                extra_headers={"Retry-After": str(p.get("retry_after", 1))})
        if fault.kind == "success_false":
            errors = p.get("errors") or [{"code": 1000, "message": "Injected failure"}]
            return self._json_response(int(p.get("status", 400)), envelope(errors=errors))
        if fault.kind == "malformed":
            status = int(p.get("status", 200))
            if "json" in p:
                return Response(status, json.dumps(p["json"]).encode(), {"Content-Type": "application/json"})
            body = p.get("body", "<html><body><h1>502 Bad Gateway</h1>cloudflare</body></html>")
            return Response(status, body.encode() if isinstance(body, str) else body, {"Content-Type": "text/html"})
        raise ValueError("unknown fault kind %r" % fault.kind)

    # ------------------------------------------------------------ handlers
    # Each returns (result, result_info, messages) or raises ApiError.

    def h_verify_user(self, ctx):
        tok = ctx.cred["token"]
        if tok.account_id is not None:
            raise err_invalid_token()  # observed: account tokens fail on /user (ref §3.9)
        return self._verify_result(tok)

    def h_verify_account(self, ctx):
        tok = ctx.cred["token"]
        if tok.account_id is None or tok.account_id != ctx.params["account_id"]:
            raise err_invalid_token()
        return self._verify_result(tok)

    @staticmethod
    def _verify_result(tok):
        result = {"id": tok.id, "status": tok.status}
        if tok.not_before:
            result["not_before"] = tok.not_before
        if tok.expires_on:
            result["expires_on"] = tok.expires_on
        messages = []
        if tok.status == "active":
            messages = [{"code": 10000, "message": "This API Token is valid and active", "type": None}]
        return result, None, messages

    def _zone_api(self, zone):
        return {
            "id": zone.id, "name": zone.name, "status": "active", "paused": False, "type": "full",
            "development_mode": 0,
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "original_name_servers": None, "original_registrar": None, "original_dnshost": None,
            "modified_on": zone.created_on, "created_on": zone.created_on, "activated_on": zone.created_on,
            "meta": {"step": 2, "phishing_detected": False},
            "owner": {"id": None, "type": "user", "email": None},
            "account": {"id": zone.account_id, "name": "Test account"},
            "tenant": {"id": None, "name": None}, "tenant_unit": {"id": None},
            "permissions": ["#zone:read", "#zone:edit", "#ssl:read", "#ssl:edit"],
            "plan": {"id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website", "price": 0,
                     "currency": "USD", "frequency": "", "is_subscribed": False, "can_subscribe": False,
                     "legacy_id": "free", "legacy_discount": False, "externally_managed": False},
        }

    def h_list_zones(self, ctx):
        q = ctx.query
        try:
            page = max(1, int(q.get("page", 1)))
            per_page = min(50, max(5, int(q.get("per_page", 20))))
        except ValueError:
            raise err_bad_request(1001, "Invalid page/per_page value")
        zones = [z for z in self.zones.values() if self._can_see(ctx.cred, z.id)]
        if "name" in q:
            wanted = normalize_zone_name(q["name"])
            zones = [z for z in zones if z.name == wanted]
        if "status" in q:
            zones = [z for z in zones if q["status"] == "active"]
        if "account.id" in q:
            zones = [z for z in zones if z.account_id == q["account.id"]]
        zones.sort(key=lambda z: z.name)
        chunk = zones[(page - 1) * per_page: page * per_page]
        info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": len(zones),
                "total_pages": math.ceil(len(zones) / per_page)}
        return [self._zone_api(z) for z in chunk], info, []

    def h_get_zone(self, ctx):
        return self._zone_api(ctx.zone), None, []

    def _setting_api(self, zone, setting):
        value, modified = (
            (zone.ssl, zone.ssl_modified) if setting == "ssl"
            else (zone.tls_client_auth, zone.tls_client_auth_modified)
        )
        return {"id": setting, "value": value, "editable": True, "modified_on": modified}

    def h_get_setting(self, ctx):
        return self._setting_api(ctx.zone, ctx.params["setting"]), None, []

    def h_patch_setting(self, ctx):
        setting = ctx.params["setting"]
        allowed = SSL_VALUES if setting == "ssl" else ("on", "off")
        value = ctx.data.get("value")
        if not isinstance(value, str) or value not in allowed:
            raise err_bad_request(1007, "Invalid value for zone setting %s" % setting)
        if setting == "ssl":
            ctx.zone.ssl, ctx.zone.ssl_modified = value, ts_micro()
        else:
            ctx.zone.tls_client_auth, ctx.zone.tls_client_auth_modified = value, ts_micro()
        return self._setting_api(ctx.zone, setting), None, []

    def h_get_aop_settings(self, ctx):
        return {"enabled": ctx.zone.aop_enabled}, None, []

    def h_put_aop_settings(self, ctx):
        enabled = ctx.data.get("enabled")
        if not isinstance(enabled, bool):
            raise err_bad_request(1400, "enabled must be a boolean")
        ctx.zone.aop_enabled = enabled
        return {"enabled": enabled}, None, []

    # --- certificates (zone and hostname share these; ctx.kind picks)

    def _certs_of(self, zone_id, kind):
        return [c for c in self.certs.values() if c.zone_id == zone_id and c.kind == kind]

    def _parse_upload(self, data, kind):
        """Validate an upload body (C1) -> (reported certificate, PEM text)."""
        cert_pem, key_pem = data.get("certificate"), data.get("private_key")
        for name, value in (("certificate", cert_pem), ("private_key", key_pem)):
            if not isinstance(value, str) or not value.strip():
                raise err_bad_request(1400, "%s is required and must be a string" % name)
        try:
            chain = pki.load_certificates(cert_pem)
        except pki.PemError as e:
            raise err_bad_request(1401, "Failed to parse certificate: %s" % e)
        leaves = [c for c in chain if not pki.is_ca(c)]
        if kind == "hostname" and not leaves:
            raise err_bad_request(1405, "missing leaf certificate")
        leaf = leaves[0] if leaves else chain[0]
        try:
            key = pki.load_private_key(key_pem)
        except pki.PemError as e:
            raise err_bad_request(1402, "Failed to parse private key: %s" % e)
        if not pki.key_matches(leaf, key):
            raise err_bad_request(1403, "The private key does not match the certificate")
        if pki.not_after(leaf) < datetime.datetime.utcnow():
            raise err_bad_request(1404, "The certificate has expired")
        return leaf, cert_pem.rstrip()

    def store_cert(self, zone_id, kind, leaf, pem, status):
        """Create a certificate record in STATUS (C6) and return it."""
        now = ts_micro()
        final = "active"
        if status == "pending_deployment" and self.fail_next:
            final, self.fail_next = self.fail_next, None
        cert = Cert(
            id=str(uuid.uuid4()), kind=kind, zone_id=zone_id, pem=pem,
            issuer=pki.issuer_string(leaf), signature=pki.signature_name(leaf),
            serial_number=str(leaf.serial_number), expires_on=ts_seconds(pki.not_after(leaf)),
            is_ca=pki.is_ca(leaf), uploaded_on=now, updated_at=now, life=self.new_life(status, final),
        )
        self.certs[cert.id] = cert
        return cert

    def h_upload_cert(self, ctx):
        kind = ctx.kind
        leaf, pem = self._parse_upload(ctx.data, kind)
        if kind == "hostname":
            live = [c for c in self._certs_of(ctx.zone.id, "hostname")
                    if c.life.status not in ("pending_deletion", "deleted")]
            if len(live) >= MAX_HOSTNAME_CERTS:
                raise err_bad_request(
                    1406, "Maximum number of hostname certificates (%d) reached for this zone" % MAX_HOSTNAME_CERTS)
        cert = self.store_cert(ctx.zone.id, kind, leaf, pem, "pending_deployment")
        return cert.api(), None, []

    def h_list_certs(self, ctx):
        certs = self._certs_of(ctx.zone.id, ctx.kind)
        items = [c.api() for c in certs if self._observe(c)]
        info = {"page": 1, "per_page": max(20, len(items)), "count": len(items), "total_count": len(items)}
        return items, info, []

    def _cert_in_zone(self, ctx):
        cert = self.certs.get(ctx.params["cert_id"])
        if cert is None or cert.zone_id != ctx.zone.id or cert.kind != ctx.kind:
            raise err_cert_not_found()
        return cert

    def h_get_cert(self, ctx):
        cert = self._cert_in_zone(ctx)
        if not self._observe(cert):
            raise err_cert_not_found()
        return cert.api(), None, []

    def h_delete_cert(self, ctx):
        cert = self._cert_in_zone(ctx)
        if cert.life.status == "pending_deployment":
            raise err_bad_request(1408, "Certificate is pending deployment and cannot be deleted yet")
        if cert.kind == "hostname" and any(
                a.cert_id == cert.id for (zid, _), a in self.assocs.items() if zid == cert.zone_id):
            raise err_bad_request(1409, "Certificate is in use by one or more hostnames")
        if cert.life.status != "pending_deletion":
            cert.life = self.new_life("pending_deletion")
            self._touch(cert)
        answer = cert.api()
        if not cert.life.sticky and cert.life.reads_left == 0:
            self._vanish(cert)  # set_deletion(0): gone right after this answer
        return answer, None, []

    # --- hostname associations

    def h_put_hostnames(self, ctx):
        config = ctx.data.get("config")
        if not isinstance(config, list) or not config or not all(isinstance(i, dict) for i in config):
            raise err_bad_request(1417, "config must be a non-empty array of objects")
        zone_id = ctx.zone.id
        # Validate everything first (H4: all or nothing).
        plan = []
        for item in config:
            hostname, cert_id = item.get("hostname"), item.get("cert_id")
            if not isinstance(hostname, str) or not hostname:
                raise err_bad_request(1410, "Invalid hostname: hostname is required")
            hostname = hostname.lower()
            if len(hostname) > MAX_HOSTNAME_LEN or not HOSTNAME_RE.fullmatch(hostname):
                raise err_bad_request(1410, "Invalid hostname: %s" % hostname[:300])
            if not isinstance(cert_id, str) or not cert_id:
                raise err_bad_request(1412, "cert_id is required")
            enabled = item.get("enabled", "<missing>")
            if not (enabled is None or isinstance(enabled, bool)):
                raise err_bad_request(1416, "enabled must be true, false or null")
            cert = self.certs.get(cert_id)
            if (cert is None or cert.kind != "hostname" or cert.zone_id != zone_id
                    or cert.life.status in ("pending_deletion", "deleted")):
                raise err_1415()
            plan.append((hostname, cert, enabled))
        # Per-certificate limit after applying the whole PUT (H3).
        after = {k: a.cert_id for k, a in self.assocs.items() if k[0] == zone_id}
        for hostname, cert, enabled in plan:
            if enabled is None:
                after.pop((zone_id, hostname), None)
            else:
                after[(zone_id, hostname)] = cert.id
        for hostname, cert, enabled in plan:
            if sum(1 for cid in after.values() if cid == cert.id) > MAX_ASSOCIATIONS_PER_CERT:
                raise err_bad_request(
                    1411, "Maximum number of hostnames (%d) for this certificate reached"
                    % MAX_ASSOCIATIONS_PER_CERT)
        result = []
        for hostname, cert, enabled in plan:
            result.append(self.apply_association(zone_id, hostname, cert, enabled).api(cert))
        return result, None, []

    def apply_association(self, zone_id, hostname, cert, enabled, status="pending_deployment"):
        """Create/change/void one association (H5, H6) and return it."""
        key = (zone_id, hostname)
        current = self.assocs.get(key)
        if enabled is None:
            self.assocs.pop(key, None)
            return Association(hostname, cert.id, None, Lifecycle("deleted", sticky=True))
        if current and current.cert_id == cert.id and current.enabled == enabled:
            return current  # unchanged: keeps its status
        assoc = current or Association(hostname, cert.id, enabled, None)
        assoc.cert_id, assoc.enabled = cert.id, enabled
        assoc.life = self.new_life(status)
        assoc.updated_at = ts_micro()
        self.assocs[key] = assoc
        return assoc

    def h_get_hostname(self, ctx):
        hostname = ctx.params["hostname"].lower()
        assoc = self.assocs.get((ctx.zone.id, hostname))
        if assoc is None:
            raise ApiError(404, 1414, "No association found for hostname %s" % hostname[:300])
        cert = self.certs.get(assoc.cert_id)
        self._observe(assoc)
        if cert is not None:
            self._observe(cert)
        return assoc.api(cert), None, []

    # --- DNS records (D1)

    def add_dns_record(self, zone_id, name, rtype, content, proxied=True, ttl=1):
        zone = self.zones[zone_id]
        now = ts_micro()
        rec = {
            "id": secrets.token_hex(16), "zone_id": zone_id, "zone_name": zone.name,
            "name": normalize_zone_name(name), "type": rtype, "content": content,
            "proxiable": rtype in ("A", "AAAA", "CNAME"), "proxied": bool(proxied), "ttl": ttl,
            "locked": False, "meta": {"auto_added": False, "managed_by_apps": False,
                                      "managed_by_argo_tunnel": False},
            "comment": None, "tags": [], "created_on": now, "modified_on": now,
        }
        self.dns.setdefault(zone_id, []).append(rec)
        return rec["id"]

    def h_list_dns(self, ctx):
        q = ctx.query
        try:
            page = max(1, int(q.get("page", 1)))
            per_page = min(5000, max(5, int(q.get("per_page", 100))))
        except ValueError:
            raise err_bad_request(1001, "Invalid page/per_page value")
        recs = list(self.dns.get(ctx.zone.id, []))
        if "type" in q:
            recs = [r for r in recs if r["type"] == q["type"].upper()]
        if "name" in q:
            recs = [r for r in recs if r["name"] == normalize_zone_name(q["name"])]
        if "content" in q:
            recs = [r for r in recs if r["content"] == q["content"]]
        if "proxied" in q:
            recs = [r for r in recs if r["proxied"] == (q["proxied"].lower() == "true")]
        chunk = recs[(page - 1) * per_page: page * per_page]
        info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": len(recs),
                "total_pages": max(1, math.ceil(len(recs) / per_page))}
        return [dict(r) for r in chunk], info, []

    # --- the edge (E1, TEST-ONLY)

    def edge_presents(self, zone_id, hostname):
        """What the edge presents to the origin for HOSTNAME now (E1)."""
        with self.lock:
            zone = self.zones[zone_id]
            hostname = normalize_zone_name(hostname)
            answer = {"hostname": hostname, "level": "none", "cert_id": None, "certificate": None}
            if zone.ssl in ("off", "flexible"):
                return dict(answer, why="SSL/TLS mode %s: AOP does not apply" % zone.ssl)
            assoc = self.assocs.get((zone_id, hostname))
            if assoc is None and "." in hostname:
                assoc = self.assocs.get((zone_id, "*." + hostname.split(".", 1)[1]))
            if assoc is not None and assoc.enabled is False:
                return dict(answer, why="hostname association disabled (enabled: false)")
            cert = self.certs.get(assoc.cert_id) if assoc is not None else None
            if assoc is not None and cert is not None and cert.life.status == "active":
                return dict(answer, level="hostname", cert_id=cert.id, certificate=cert.pem,
                            why="hostname association")
            active = [c for c in self._certs_of(zone_id, "zone") if c.life.status == "active"]
            if zone.aop_enabled and active:
                newest = max(active, key=lambda c: c.uploaded_on)
                return dict(answer, level="zone", cert_id=newest.id, certificate=newest.pem,
                            why="zone-level AOP, newest active certificate")
            if zone.tls_client_auth == "on":
                return dict(answer, level="global", why="global AOP: Cloudflare's shared certificate")
            return dict(answer, why="no AOP level presents a certificate")

    def _edge_response(self, method, path, record):
        record["edge"] = True
        m = re.fullmatch(EDGE_PREFIX + r"/(?P<zone_id>[0-9a-f]{32})/(?P<hostname>[^/]+)", path)
        with self.lock:
            self.log.append(record)
            if method != "GET" or m is None or m.group("zone_id") not in self.zones:
                record["status"] = 404
                return Response(404, b'{"error": "no such zone or route"}',
                                {"Content-Type": "application/json"})
            body = json.dumps(self.edge_presents(m.group("zone_id"), m.group("hostname")))
        record["status"] = 200
        return Response(200, body.encode(), {"Content-Type": "application/json"})

    # ------------------------------------------------------------ inspection
    def state(self):
        with self.lock:
            zones = sorted(self.zones.values(), key=lambda z: z.name)
            certs = [dict(c.api(), zone_id=c.zone_id, reads_left=c.life.reads_left)
                     for c in self.certs.values()]
            return {
                "zones": [{"id": z.id, "name": z.name, "account_id": z.account_id} for z in zones],
                "settings": {z.id: {"ssl": z.ssl, "tls_client_auth": z.tls_client_auth,
                                    "origin_tls_client_auth": {"enabled": z.aop_enabled}} for z in zones},
                "zone_certs": [c for c in certs if self.certs[c["id"]].kind == "zone"],
                "hostname_certs": [c for c in certs if self.certs[c["id"]].kind == "hostname"],
                "associations": [
                    dict(a.api(self.certs.get(a.cert_id)), zone_id=zid) for (zid, _), a in self.assocs.items()
                ],
            }


@dataclass
class Ctx:
    cred: dict
    params: dict
    query: dict
    data: Optional[dict]
    zone: Optional[Zone]
    method: str

    @property
    def kind(self):
        """"zone" or "hostname": which certificate family the route is for."""
        return self.params["_kind"]


def normalize_zone_name(name):
    return name.strip().lower().rstrip(".")


# --------------------------------------------------------------------------
# HTTP / TLS
# --------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as libcurl expects
    server_version = "cloudflare"
    sys_version = ""
    timeout = 120  # an idle keep-alive connection ends eventually

    def log_message(self, fmt, *args):  # quiet: the app keeps its own log
        pass

    def version_string(self):
        return "cloudflare"

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self):
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        resp = self.server.app.handle(self.command, self.path, headers, body)
        if resp.drop:
            self._drop()
            return
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        # Headers and body in one write (one TLS record where possible).
        self._headers_buffer.append(b"\r\n" + (resp.body if self.command != "HEAD" else b""))
        self.flush_headers()

    def _drop(self):
        """Close the TCP connection without a byte of response."""
        self.close_connection = True
        try:
            # Bypass TLS close_notify: the peer sees the connection vanish.
            socket.socket.shutdown(self.connection, socket.SHUT_RDWR)
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


class FakeHTTPServer(ThreadingHTTPServer):
    """HTTPS server; the TLS handshake runs in the per-connection thread."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, app, cert_file, key_file):
        self.app = app
        self.ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ssl_context.load_cert_chain(cert_file, key_file)
        self.ssl_context.set_alpn_protocols(["http/1.1"])
        super().__init__(("127.0.0.1", 0), Handler)

    def finish_request(self, request, client_address):
        try:
            request.settimeout(Handler.timeout)
            # Answers go out as soon as written (no Nagle/delayed-ACK stall).
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return  # a client that gave up during the handshake
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass  # connection-level noise (resets, timeouts) is not a test failure
