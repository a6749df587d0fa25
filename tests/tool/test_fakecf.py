"""Self-tests of the fake Cloudflare API (tests/tool/fakecf).

They talk plain HTTPS (http.client + the harness CA) to the fake and check
that it behaves as /work/shared/reference/cloudflare-aop-api.md describes
(envelope, auth errors, zones, settings, certificate lifecycle, limits,
associations, rate limit) and that the test-only knobs (faults, recording)
do what the harness promises.
"""

import http.client
import json
import re
import socket
import ssl
import threading
import time
import uuid

import pytest

from fakecf import FakeCloudflare
from lib.pki import PKI, name

TOKEN = "tok-rw-0123456789abcdefghijklmnopqrstuv"


# --------------------------------------------------------------------------
# fixtures and a tiny client
# --------------------------------------------------------------------------


class Client:
    """One keep-alive HTTPS connection to the fake, v4-path based."""

    def __init__(self, cf):
        self.cf = cf
        self.ctx = ssl.create_default_context(cafile=cf.ca_file)
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPSConnection("127.0.0.1", self.cf.port, context=self.ctx, timeout=10)

    def call(self, method, path, body=None, token=TOKEN, headers=None, raw=None):
        """-> (status, parsed JSON or None, headers, raw body text)."""
        hdrs = {} if token is None else {"Authorization": "Bearer " + token}
        hdrs.update(headers or {})
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            hdrs.setdefault("Content-Type", "application/json")
        if self.conn is None:
            self._connect()
        self.conn.request(method, "/client/v4" + path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        text = resp.read().decode()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        return resp.status, parsed, resp.headers, text

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


@pytest.fixture
def cf(tmp_path):
    with FakeCloudflare(tmp_path) as fake:
        fake.add_token(TOKEN)
        yield fake


@pytest.fixture
def api(cf):
    client = Client(cf)
    yield client
    client.close()


@pytest.fixture
def zone(cf):
    return cf.add_zone("example.com")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """One PKI for this module's certificates (the uploads' answers are checked against them)."""
    return PKI(str(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="module")
def ca(pki):
    return pki.issue("customer_ca", name("Customer AOP CA", "cfaop tests"), ca=True, days=3650)


@pytest.fixture(scope="module")
def leaf(pki, ca):
    return pki.issue("leaf", name("origin-pull.example.com", "cfaop tests"), ca)


def error_codes(body):
    return [e["code"] for e in body["errors"]]


def assert_failure(status, body, want_status, want_code):
    assert status == want_status, body
    assert body["success"] is False and body["result"] is None
    assert want_code in error_codes(body), body


def upload(api, zone, ck, kind="zone"):
    path = "/zones/%s/origin_tls_client_auth" % zone
    if kind == "hostname":
        path += "/hostnames/certificates"
    return api.call("POST", path, {"certificate": ck.cert_pem, "private_key": ck.key_pem})


def zpath(zone, rest=""):
    return "/zones/%s/origin_tls_client_auth%s" % (zone, rest)


# --------------------------------------------------------------------------
# transport, envelope, routing
# --------------------------------------------------------------------------


def test_envelope_and_headers(api, zone):
    status, body, headers, _ = api.call("GET", "/zones?name=example.com")
    assert status == 200
    assert set(body) == {"success", "errors", "messages", "result", "result_info"}
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    assert headers["Content-Type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{16}-[A-Z]{3}", headers["cf-ray"])
    assert re.fullmatch(r'"default";r=\d+;t=\d+', headers["Ratelimit"])
    assert headers["Ratelimit-Policy"] == '"default";q=1200;w=300'


def test_tls_is_real_and_needs_the_harness_ca(cf, zone):
    # Without the harness CA the certificate does not verify ...
    with pytest.raises(ssl.SSLCertVerificationError):
        conn = http.client.HTTPSConnection("127.0.0.1", cf.port, context=ssl.create_default_context(), timeout=5)
        conn.request("GET", "/client/v4/zones")
    # ... with it, both SAN names work (IP and localhost).
    ctx = ssl.create_default_context(cafile=cf.ca_file)
    for host in ("127.0.0.1", "localhost"):
        conn = http.client.HTTPSConnection(host, cf.port, context=ctx, timeout=5)
        conn.request("GET", "/client/v4/zones", headers={"Authorization": "Bearer " + TOKEN})
        assert conn.getresponse().status == 200
        conn.close()
    assert cf.base_url == "https://127.0.0.1:%d/client/v4" % cf.port


def test_keep_alive_serves_several_requests_on_one_connection(api, zone):
    api.call("GET", "/zones")
    sock = api.conn.sock
    for _ in range(3):
        status, _, _, _ = api.call("GET", "/zones/%s" % zone)
        assert status == 200
    assert api.conn.sock is sock


def test_unknown_route_and_wrong_method(api, zone):
    status, body, _, _ = api.call("GET", "/zones/%s/nothing_here" % zone)
    assert_failure(status, body, 404, 7003)
    assert error_codes(body) == [7003, 7000]
    assert "perhaps your object identifier is invalid?" in body["errors"][0]["message"]
    status, body, _, _ = api.call("DELETE", zpath(zone, "/settings"))
    assert_failure(status, body, 405, 7001)


def test_malformed_json_body_is_an_envelope_not_a_traceback(api, zone):
    for raw in ("{not json", "[1,2]", ""):
        status, body, _, _ = api.call("PUT", zpath(zone, "/settings"), raw=raw)
        assert_failure(status, body, 400, 6007)


def test_server_exception_gives_500_envelope_and_is_recorded(cf, api, zone):
    def boom(ctx):
        raise RuntimeError("bug in the fake")

    cf.app.h_get_zone = boom
    status, body, _, _ = api.call("GET", "/zones/%s" % zone)
    assert_failure(status, body, 500, 10001)
    rec = cf.requests()[-1]
    assert rec["status"] == 500 and "bug in the fake" in rec["exception"]


# --------------------------------------------------------------------------
# authentication and permissions
# --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "Bearer", TOKEN, "Bearer " + TOKEN + " ", "Bearer  " + TOKEN,
                                   "Bearer a b", "Basic abc"])
def test_malformed_or_missing_authorization_is_6003_6111(api, zone, value):
    headers = {} if value is None else {"Authorization": value}
    status, body, _, _ = api.call("GET", "/zones", token=None, headers=headers)
    assert_failure(status, body, 400, 6003)
    assert body["errors"][0]["error_chain"] == [{"code": 6111, "message": "Invalid format for Authorization header"}]


def test_unknown_or_inactive_token_is_1000(cf, api, zone):
    status, body, _, _ = api.call("GET", "/zones", token="unknown-token")
    assert_failure(status, body, 401, 1000)
    assert body["errors"][0]["message"] == "Invalid API Token"
    cf.add_token("disabled-tok", status="disabled")
    status, body, _, _ = api.call("GET", "/zones", token="disabled-tok")
    assert_failure(status, body, 401, 1000)


def test_legacy_key_auth(cf, api, zone):
    cf.add_legacy_key("admin@example.com", "0123456789abcdef0123456789abcdef01234")
    good = {"X-Auth-Email": "admin@example.com", "X-Auth-Key": "0123456789abcdef0123456789abcdef01234"}
    status, body, _, _ = api.call("GET", "/zones/%s" % zone, token=None, headers=good)
    assert status == 200 and body["result"]["id"] == zone
    status, body, _, _ = api.call("GET", "/zones", token=None, headers=dict(good, **{"X-Auth-Key": "ffff"}))
    assert_failure(status, body, 403, 9103)
    status, body, _, _ = api.call("GET", "/zones", token=None, headers={"X-Auth-Key": "ffff"})
    assert_failure(status, body, 400, 6003)
    assert body["errors"][0]["error_chain"][0]["code"] == 9106


def test_token_scope_and_read_only(cf, api, zone):
    other = cf.add_zone("other.example")
    cf.add_token("scoped", zone_ids=[other])
    status, body, _, _ = api.call("GET", zpath(zone), token="scoped")
    assert_failure(status, body, 403, 10000)
    assert body["errors"][0]["message"] == "Authentication error"
    # the zone list only shows what the token may see
    status, body, _, _ = api.call("GET", "/zones?name=example.com", token="scoped")
    assert status == 200 and body["result"] == []
    cf.add_token("ro", write=False)
    status, body, _, _ = api.call("GET", "/zones/%s/settings/ssl" % zone, token="ro")
    assert status == 200
    status, body, _, _ = api.call("PATCH", "/zones/%s/settings/ssl" % zone, {"value": "strict"}, token="ro")
    assert_failure(status, body, 403, 10000)
    assert cf.state()["settings"][zone]["ssl"] == "full"


def test_token_verify_user_and_account(cf, api):
    status, body, _, _ = api.call("GET", "/user/tokens/verify")
    assert status == 200
    assert set(body["result"]) >= {"id", "status"} and body["result"]["status"] == "active"
    assert body["messages"] == [{"code": 10000, "message": "This API Token is valid and active", "type": None}]
    acct = "a" * 32
    cf.add_token("acct-tok", account_id=acct)
    status, body, _, _ = api.call("GET", "/user/tokens/verify", token="acct-tok")
    assert_failure(status, body, 401, 1000)  # observed: account tokens fail on /user
    status, body, _, _ = api.call("GET", "/accounts/%s/tokens/verify" % acct, token="acct-tok")
    assert status == 200 and body["result"]["status"] == "active"
    status, body, _, _ = api.call("GET", "/accounts/%s/tokens/verify" % ("b" * 32), token="acct-tok")
    assert_failure(status, body, 401, 1000)
    cf.add_token("old", status="expired", expires_on="2020-01-01T00:00:00Z")
    status, body, _, _ = api.call("GET", "/user/tokens/verify", token="old")
    assert status == 200 and body["result"]["status"] == "expired" and body["messages"] == []
    assert body["result"]["expires_on"] == "2020-01-01T00:00:00Z"


# --------------------------------------------------------------------------
# zones and settings
# --------------------------------------------------------------------------


def test_zone_lookup_by_name(cf, api, zone):
    for name in ("example.com", "EXAMPLE.com", "example.com."):
        status, body, _, _ = api.call("GET", "/zones?name=" + name)
        assert status == 200
        assert [z["id"] for z in body["result"]] == [zone]
        assert body["result"][0]["name"] == "example.com"
        assert body["result_info"] == {"page": 1, "per_page": 20, "count": 1, "total_count": 1, "total_pages": 1}
    status, body, _, _ = api.call("GET", "/zones?name=nope.example")
    assert status == 200 and body["result"] == [] and body["result_info"]["total_count"] == 0


def test_zone_list_pagination(cf, api):
    for i in range(7):
        cf.add_zone("z%d.example" % i)
    status, body, _, _ = api.call("GET", "/zones?per_page=5&page=2")
    assert status == 200 and len(body["result"]) == 2
    assert body["result_info"] == {"page": 2, "per_page": 5, "count": 2, "total_count": 7, "total_pages": 2}


def test_zone_id_format_and_unknown_zone(api, zone):
    status, body, _, _ = api.call("GET", zpath("not-a-zone-id"))
    assert_failure(status, body, 400, 1003)
    missing = uuid.uuid4().hex
    status, body, _, _ = api.call("GET", zpath(missing))
    assert_failure(status, body, 404, 7003)
    assert error_codes(body) == [7003, 7000]


def test_ssl_and_tls_client_auth_settings(cf, api, zone):
    status, body, _, _ = api.call("GET", "/zones/%s/settings/ssl" % zone)
    assert body["result"] == {"id": "ssl", "value": "full", "editable": True, "modified_on": None}
    for value in ("off", "flexible", "full", "strict", "origin_pull"):
        status, body, _, _ = api.call("PATCH", "/zones/%s/settings/ssl" % zone, {"value": value})
        assert status == 200 and body["result"]["value"] == value
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", body["result"]["modified_on"])
    for bad in ({"value": "maximum"}, {"value": True}, {}):
        status, body, _, _ = api.call("PATCH", "/zones/%s/settings/ssl" % zone, bad)
        assert_failure(status, body, 400, 1007)
    status, body, _, _ = api.call("PATCH", "/zones/%s/settings/tls_client_auth" % zone, {"value": "on"})
    assert status == 200 and body["result"]["id"] == "tls_client_auth" and body["result"]["value"] == "on"
    status, body, _, _ = api.call("PATCH", "/zones/%s/settings/tls_client_auth" % zone, {"value": "yes"})
    assert_failure(status, body, 400, 1007)
    assert cf.state()["settings"][zone] == {"ssl": "origin_pull", "tls_client_auth": "on",
                                            "origin_tls_client_auth": {"enabled": False}}


def test_zone_level_enablement(cf, api, zone):
    status, body, _, _ = api.call("GET", zpath(zone, "/settings"))
    assert status == 200 and body["result"] == {"enabled": False}
    status, body, _, _ = api.call("PUT", zpath(zone, "/settings"), {"enabled": True})
    assert status == 200 and body["result"] == {"enabled": True}
    for bad in ({"enabled": "true"}, {"enabled": 1}, {}):
        status, body, _, _ = api.call("PUT", zpath(zone, "/settings"), bad)
        assert_failure(status, body, 400, 1400)
    assert api.call("GET", zpath(zone, "/settings"))[1]["result"] == {"enabled": True}


# --------------------------------------------------------------------------
# zone certificates
# --------------------------------------------------------------------------


def test_zone_cert_upload_fields(cf, api, zone, ca, leaf, pki):
    status, body, _, text = upload(api, zone, leaf)
    assert status == 200, body
    r = body["result"]
    assert set(r) == {"id", "status", "issuer", "signature", "serial_number", "certificate",
                      "uploaded_on", "updated_at", "expires_on"}
    assert uuid.UUID(r["id"]).version == 4 and len(r["id"]) == 36
    assert r["status"] == "pending_deployment"
    assert r["issuer"] == "CN=Customer AOP CA,O=cfaop tests,C=US"
    assert r["signature"] == "ECDSA-SHA256"
    assert r["serial_number"] == str(leaf.cert.serial_number)
    assert r["certificate"] == leaf.cert_pem.rstrip()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", r["uploaded_on"])
    assert r["expires_on"] == leaf.cert.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    rsa = pki.leaf(self_signed=True, key_type="rsa")
    assert upload(api, zone, rsa)[1]["result"]["signature"] == "SHA256-RSA"


def test_private_key_is_never_echoed(cf, api, zone, leaf):
    key_body = leaf.key_pem.splitlines()[1]
    texts = [upload(api, zone, leaf)[3], upload(api, zone, leaf, kind="hostname")[3]]
    texts.append(api.call("GET", zpath(zone))[3])
    texts.append(api.call("GET", zpath(zone, "/hostnames/certificates"))[3])
    texts.append(json.dumps(cf.state()))
    for text in texts:
        assert "private_key" not in text and key_body not in text


def test_activation_after_n_reads(cf, api, zone, leaf):
    cf.set_activation(gets=2)
    cid = upload(api, zone, leaf)[1]["result"]["id"]
    # reads 1 and 2 (a GET and a list) still pending, read 3 active
    assert api.call("GET", zpath(zone, "/" + cid))[1]["result"]["status"] == "pending_deployment"
    assert api.call("GET", zpath(zone))[1]["result"][0]["status"] == "pending_deployment"
    assert api.call("GET", zpath(zone, "/" + cid))[1]["result"]["status"] == "active"
    assert api.call("GET", zpath(zone, "/" + cid))[1]["result"]["status"] == "active"


def test_activation_zero_is_active_at_once(cf, api, zone, leaf):
    cf.set_activation(gets=0)
    assert upload(api, zone, leaf)[1]["result"]["status"] == "active"


def test_upload_is_not_deduplicated(cf, api, zone, leaf):
    first = upload(api, zone, leaf)[1]["result"]["id"]
    second = upload(api, zone, leaf)[1]["result"]["id"]
    assert first != second
    body = api.call("GET", zpath(zone))[1]
    assert sorted(c["id"] for c in body["result"]) == sorted([first, second])
    assert body["result_info"]["count"] == 2 and body["result_info"]["total_count"] == 2


def test_upload_validation(api, zone, leaf, ca, pki):
    other_key = pki.leaf(self_signed=True).key_pem
    expired = pki.leaf(self_signed=True, days=-1)
    cases = [
        ({"certificate": leaf.cert_pem}, 1400),
        ({"certificate": 5, "private_key": leaf.key_pem}, 1400),
        ({"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
          "private_key": leaf.key_pem}, 1401),
        ({"certificate": "hello", "private_key": leaf.key_pem}, 1401),
        ({"certificate": leaf.cert_pem, "private_key": "not a key"}, 1402),
        ({"certificate": leaf.cert_pem, "private_key": other_key}, 1403),
        ({"certificate": expired.cert_pem, "private_key": expired.key_pem}, 1404),
    ]
    for body, code in cases:
        status, resp, _, _ = api.call("POST", zpath(zone), body)
        assert_failure(status, resp, 400, code)
    # unknown fields (bundle_method from the docs partial) are ignored
    status, resp, _, _ = api.call("POST", zpath(zone), {"certificate": leaf.cert_pem, "private_key": leaf.key_pem,
                                                       "bundle_method": "ubiquitous"})
    assert status == 200 and "bundle_method" not in resp["result"]


def test_delete_lifecycle(cf, api, zone, leaf):
    cf.set_activation(gets=0)
    cf.set_deletion(gets=1)
    cid = upload(api, zone, leaf)[1]["result"]["id"]
    status, body, _, _ = api.call("DELETE", zpath(zone, "/" + cid))
    assert status == 200 and body["result"]["id"] == cid and body["result"]["status"] == "pending_deletion"
    assert api.call("GET", zpath(zone, "/" + cid))[1]["result"]["status"] == "pending_deletion"
    status, body, _, _ = api.call("GET", zpath(zone, "/" + cid))
    assert_failure(status, body, 404, 1407)
    assert api.call("GET", zpath(zone))[1]["result"] == []
    status, body, _, _ = api.call("DELETE", zpath(zone, "/" + cid))
    assert_failure(status, body, 404, 1407)


def test_delete_while_pending_deployment_is_refused(cf, api, zone, leaf):
    cid = upload(api, zone, leaf)[1]["result"]["id"]
    status, body, _, _ = api.call("DELETE", zpath(zone, "/" + cid))
    assert_failure(status, body, 400, 1408)
    assert cf.state()["zone_certs"][0]["status"] == "pending_deployment"


def test_failed_deployment_stays_and_can_be_deleted(cf, api, zone, leaf):
    cf.set_activation(gets=1)
    cf.fail_next_deployment("deployment_timed_out")
    bad = upload(api, zone, leaf)[1]["result"]["id"]
    good = upload(api, zone, leaf)[1]["result"]["id"]
    statuses = [api.call("GET", zpath(zone, "/" + bad))[1]["result"]["status"] for _ in range(4)]
    assert statuses == ["pending_deployment"] + ["deployment_timed_out"] * 3
    assert api.call("GET", zpath(zone, "/" + good))[1]["result"]["status"] == "pending_deployment"
    assert api.call("GET", zpath(zone, "/" + good))[1]["result"]["status"] == "active"
    assert api.call("DELETE", zpath(zone, "/" + bad))[1]["result"]["status"] == "pending_deletion"


def test_force_cert_status_and_planted_certs(cf, api, zone, leaf, pki):
    expired = pki.leaf(self_signed=True, days=-5)
    cid = cf.add_zone_cert(zone, expired.cert_pem, expired.key_pem)  # planting skips upload checks
    got = api.call("GET", zpath(zone, "/" + cid))[1]["result"]
    assert got["status"] == "active" and got["expires_on"] < time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cf.force_cert_status(cid, "deletion_timed_out")
    for _ in range(3):
        assert api.call("GET", zpath(zone, "/" + cid))[1]["result"]["status"] == "deletion_timed_out"


def test_zone_and_hostname_cert_namespaces_are_separate(cf, api, zone, leaf):
    zc = cf.add_zone_cert(zone, leaf.cert_pem, leaf.key_pem)
    hc = cf.add_hostname_cert(zone, leaf.cert_pem, leaf.key_pem)
    assert_failure(*api.call("GET", zpath(zone, "/hostnames/certificates/" + zc))[:2], 404, 1407)
    assert_failure(*api.call("GET", zpath(zone, "/" + hc))[:2], 404, 1407)
    other = cf.add_zone("other.example")
    assert_failure(*api.call("GET", zpath(other, "/" + zc))[:2], 404, 1407)


# --------------------------------------------------------------------------
# hostname certificates
# --------------------------------------------------------------------------


def test_hostname_cert_upload_list_get(cf, api, zone, leaf):
    cf.set_activation(gets=0)
    status, body, _, _ = upload(api, zone, leaf, kind="hostname")
    assert status == 200
    r = body["result"]
    assert set(r) == {"id", "status", "issuer", "signature", "serial_number", "certificate",
                      "uploaded_on", "expires_on"}
    listed = api.call("GET", zpath(zone, "/hostnames/certificates"))[1]
    assert [c["id"] for c in listed["result"]] == [r["id"]]
    assert listed["result"][0]["serial_number"] == r["serial_number"]
    got = api.call("GET", zpath(zone, "/hostnames/certificates/" + r["id"]))[1]["result"]
    assert got == dict(r, status="active")


def test_hostname_cert_must_be_a_leaf(api, zone, ca):
    status, body, _, _ = api.call("POST", zpath(zone, "/hostnames/certificates"),
                                  {"certificate": ca.cert_pem, "private_key": ca.key_pem})
    assert_failure(status, body, 400, 1405)
    assert body["errors"][0]["message"] == "missing leaf certificate"
    # the same CA certificate is accepted at zone level
    assert api.call("POST", zpath(zone), {"certificate": ca.cert_pem, "private_key": ca.key_pem})[0] == 200


def test_hostname_cert_limit_is_ten_per_zone(cf, api, zone, pki):
    cf.set_activation(gets=0)
    certs = [pki.leaf("h%d.example.com" % i, self_signed=True) for i in range(11)]
    ids = [upload(api, zone, c, kind="hostname")[1]["result"]["id"] for c in certs[:10]]
    status, body, _, _ = upload(api, zone, certs[10], kind="hostname")
    assert_failure(status, body, 400, 1406)
    # a deleted one frees a slot; another zone has its own limit
    api.call("DELETE", zpath(zone, "/hostnames/certificates/" + ids[0]))
    assert upload(api, zone, certs[10], kind="hostname")[0] == 200
    other = cf.add_zone("other.example")
    assert upload(api, other, certs[0], kind="hostname")[0] == 200


# --------------------------------------------------------------------------
# hostname associations
# --------------------------------------------------------------------------


def put_hostnames(api, zone, *items):
    return api.call("PUT", zpath(zone, "/hostnames"), {"config": list(items)})


def item(hostname, cert_id, enabled=True):
    return {"hostname": hostname, "cert_id": cert_id, "enabled": enabled}


ASSOCIATION_FIELDS = {"hostname", "cert_id", "enabled", "status", "created_at", "updated_at", "cert_status",
                      "issuer", "signature", "serial_number", "certificate", "cert_uploaded_on",
                      "cert_updated_at", "expires_on"}


def test_association_enable_and_activation(cf, api, zone, leaf):
    cf.set_activation(gets=1)
    cid = cf.add_hostname_cert(zone, leaf.cert_pem, leaf.key_pem)
    status, body, _, _ = put_hostnames(api, zone, item("App.Example.com", cid))
    assert status == 200
    [a] = body["result"]
    assert set(a) == ASSOCIATION_FIELDS
    assert (a["hostname"], a["cert_id"], a["enabled"], a["status"], a["cert_status"]) == \
        ("app.example.com", cid, True, "pending_deployment", "active")
    assert a["created_at"] == "0001-01-01T00:00:00Z"
    path = zpath(zone, "/hostnames/app.example.com")
    assert api.call("GET", path)[1]["result"]["status"] == "pending_deployment"
    assert api.call("GET", path)[1]["result"]["status"] == "active"
    # an unchanged PUT keeps the status; a change (disable) redeploys
    assert put_hostnames(api, zone, item("app.example.com", cid))[1]["result"][0]["status"] == "active"
    a = put_hostnames(api, zone, item("app.example.com", cid, False))[1]["result"][0]
    assert a["enabled"] is False and a["status"] == "pending_deployment"
    assert cf.state()["associations"][0]["enabled"] is False


def test_hostname_status_read_activates_the_certificate(cf, api, zone, leaf):
    cf.set_activation(gets=1)
    cid = upload(api, zone, leaf, kind="hostname")[1]["result"]["id"]
    put_hostnames(api, zone, item("app.example.com", cid))
    path = zpath(zone, "/hostnames/app.example.com")
    assert api.call("GET", path)[1]["result"]["cert_status"] == "pending_deployment"
    assert api.call("GET", path)[1]["result"]["cert_status"] == "active"


def test_enabled_null_voids_the_association(cf, api, zone, leaf):
    cid = cf.add_hostname_cert(zone, leaf.cert_pem, leaf.key_pem)
    cf.set_association(zone, "app.example.com", cid)
    status, body, _, _ = api.call("DELETE", zpath(zone, "/hostnames/certificates/" + cid))
    assert_failure(status, body, 400, 1409)  # in use
    a = put_hostnames(api, zone, item("app.example.com", cid, None))[1]["result"][0]
    assert a["enabled"] is None
    status, body, _, _ = api.call("GET", zpath(zone, "/hostnames/app.example.com"))
    assert_failure(status, body, 404, 1414)
    assert cf.state()["associations"] == []
    assert api.call("DELETE", zpath(zone, "/hostnames/certificates/" + cid))[0] == 200


def test_disabled_association_still_blocks_cert_delete(cf, api, zone, leaf):
    cid = cf.add_hostname_cert(zone, leaf.cert_pem, leaf.key_pem)
    cf.set_association(zone, "app.example.com", cid, enabled=False)
    assert_failure(*api.call("DELETE", zpath(zone, "/hostnames/certificates/" + cid))[:2], 400, 1409)


def test_association_requires_hostname_cert_id_and_enabled(cf, api, zone, leaf):
    cid = cf.add_hostname_cert(zone, leaf.cert_pem, leaf.key_pem)
    cases = [
        ({"hostname": "a.example.com", "enabled": False}, 1412),
        ({"hostname": "a.example.com", "enabled": None}, 1412),
        ({"cert_id": cid, "enabled": True}, 1410),
        ({"hostname": "a" * 250 + ".example.com", "cert_id": cid, "enabled": True}, 1410),
        ({"hostname": "bad host", "cert_id": cid, "enabled": True}, 1410),
        ({"hostname": "a.example.com", "cert_id": cid}, 1416),
        ({"hostname": "a.example.com", "cert_id": cid, "enabled": "yes"}, 1416),
    ]
    for entry, code in cases:
        status, body, _, _ = put_hostnames(api, zone, entry)
        assert_failure(status, body, 400, code)
    for config in ([], None, "x", ["x"]):
        status, body, _, _ = api.call("PUT", zpath(zone, "/hostnames"), {"config": config})
        assert_failure(status, body, 400, 1417)
    assert cf.state()["associations"] == []


def test_zone_cert_or_unknown_cert_id_is_1415(cf, api, zone, leaf):
    zone_cert = cf.add_zone_cert(zone, leaf.cert_pem, leaf.key_pem)
    for cert_id in (zone_cert, str(uuid.uuid4())):
        status, body, _, _ = put_hostnames(api, zone, item("app.example.com", cert_id))
        assert_failure(status, body, 400, 1415)
        assert body["errors"][0]["message"] == \
            "Certificate ID in request is either invalid or the certificate has been deleted"
    cf.set_deletion(gets=3)
    hc = cf.add_hostname_cert(zone, leaf.cert_pem, leaf.key_pem)
    api.call("DELETE", zpath(zone, "/hostnames/certificates/" + hc))
    assert_failure(*put_hostnames(api, zone, item("app.example.com", hc))[:2], 400, 1415)


def test_hundred_associations_per_certificate(cf, api, zone, leaf):
    cf.set_activation(gets=0)
    cid = cf.add_hostname_cert(zone, leaf.cert_pem, leaf.key_pem)
    items = [item("h%03d.example.com" % i, cid) for i in range(101)]
    status, body, _, _ = put_hostnames(api, zone, *items)
    assert_failure(status, body, 400, 1411)
    assert cf.state()["associations"] == []  # all or nothing
    status, body, _, _ = put_hostnames(api, zone, *items[:100])
    assert status == 200 and len(body["result"]) == 100
    assert_failure(*put_hostnames(api, zone, items[100])[:2], 400, 1411)
    # voiding one frees a slot
    put_hostnames(api, zone, item("h000.example.com", cid, None))
    assert put_hostnames(api, zone, items[100])[0] == 200


def test_reassociation_moves_hostname_to_new_cert(cf, api, zone, leaf, pki):
    old = cf.add_hostname_cert(zone, leaf.cert_pem, leaf.key_pem)
    new_ck = pki.leaf("new.example.com", self_signed=True)
    new = cf.add_hostname_cert(zone, new_ck.cert_pem, new_ck.key_pem)
    cf.set_association(zone, "app.example.com", old)
    a = put_hostnames(api, zone, item("app.example.com", new))[1]["result"][0]
    assert a["cert_id"] == new and a["serial_number"] == str(new_ck.cert.serial_number)
    assert api.call("DELETE", zpath(zone, "/hostnames/certificates/" + old))[0] == 200


# --------------------------------------------------------------------------
# rate limit
# --------------------------------------------------------------------------


def test_rate_limit_429_retry_after_and_headers(cf, api, zone):
    cf.set_rate_limit(requests=3, window=1)
    remaining = []
    for _ in range(3):
        status, _, headers, _ = api.call("GET", "/zones")
        assert status == 200
        remaining.append(int(re.search(r"r=(\d+)", headers["Ratelimit"]).group(1)))
        assert headers["Ratelimit-Policy"] == '"default";q=3;w=1'
        assert "Retry-After" not in headers
    assert remaining == [2, 1, 0]
    status, body, headers, _ = api.call("GET", "/zones")
    assert_failure(status, body, 429, 971)
    assert body["errors"][0]["message"] == "Please wait and consider throttling your request speed"
    assert headers["Retry-After"] == "1"
    # another credential has its own budget
    cf.add_token("second")
    assert api.call("GET", "/zones", token="second")[0] == 200
    time.sleep(1.05)
    assert api.call("GET", "/zones")[0] == 200


# --------------------------------------------------------------------------
# injected faults
# --------------------------------------------------------------------------


def test_fault_status(cf, api, zone):
    cf.inject("GET", r"^/zones$", "status", count=2, status=503)
    for _ in range(2):
        status, body, headers, _ = api.call("GET", "/zones")
        assert_failure(status, body, 503, 10001)
        assert headers["Content-Type"] == "application/json"
    assert api.call("GET", "/zones")[0] == 200
    cf.inject("*", "/settings/ssl", "status", status=500, code=1234, message="boom")
    status, body, _, _ = api.call("PATCH", "/zones/%s/settings/ssl" % zone, {"value": "off"})
    assert status == 500 and body["errors"] == [{"code": 1234, "message": "boom"}]
    assert cf.state()["settings"][zone]["ssl"] == "full"  # not committed


def test_fault_rate_limit(cf, api, zone):
    cf.inject("GET", "/zones", "rate_limit", retry_after=7)
    status, body, headers, _ = api.call("GET", "/zones")
    assert_failure(status, body, 429, 971)
    assert headers["Retry-After"] == "7"
    assert api.call("GET", "/zones")[0] == 200


def test_fault_drop_closes_without_response(cf, api, zone):
    cf.inject("GET", "/zones", "drop")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
        api.call("GET", "/zones")
    api.close()
    assert api.call("GET", "/zones")[0] == 200
    assert [r["status"] for r in cf.requests()] == [None, 200]
    assert cf.requests()[0]["fault"] == "drop"


def test_fault_malformed(cf, api, zone):
    cf.inject("GET", "/zones", "malformed")
    status, body, headers, text = api.call("GET", "/zones")
    assert status == 200 and body is None and text.startswith("<html>")
    cf.inject("GET", "/zones", "malformed", body="{truncated")
    assert api.call("GET", "/zones")[3] == "{truncated"
    cf.inject("GET", "/zones", "malformed", json={"hello": "world"})
    status, body, _, _ = api.call("GET", "/zones")
    assert status == 200 and body == {"hello": "world"}


def test_fault_success_false(cf, api, zone):
    cf.inject("GET", "/zones", "success_false", errors=[{"code": 1234, "message": "nope"}])
    status, body, _, _ = api.call("GET", "/zones")
    assert status == 400 and body["success"] is False and body["errors"] == [{"code": 1234, "message": "nope"}]
    cf.inject("GET", "/zones", "success_false", status=200)
    status, body, _, _ = api.call("GET", "/zones")
    assert status == 200 and body["success"] is False and body["result"] is None


def test_fault_slow_does_not_block_other_requests(cf, zone):
    cf.inject("GET", "^/zones$", "slow", seconds=1.0)
    results = {}

    def slow_call():
        client = Client(cf)
        t0 = time.monotonic()
        results["slow"] = (client.call("GET", "/zones")[0], time.monotonic() - t0)
        client.close()

    thread = threading.Thread(target=slow_call)
    thread.start()
    time.sleep(0.1)
    client = Client(cf)
    t0 = time.monotonic()
    assert client.call("GET", "/zones/%s" % zone)[0] == 200
    assert time.monotonic() - t0 < 0.5
    client.close()
    thread.join()
    status, elapsed = results["slow"]
    assert status == 200 and elapsed >= 1.0


def test_fault_after_commit_stores_the_upload(cf, api, zone, leaf):
    cf.inject("POST", r"/origin_tls_client_auth$", "status", status=500)
    assert upload(api, zone, leaf)[0] == 500
    assert cf.state()["zone_certs"] == []  # plain fault: nothing happened
    cf.inject("POST", r"/origin_tls_client_auth$", "status", status=502, after_commit=True)
    assert upload(api, zone, leaf)[0] == 502
    assert len(cf.state()["zone_certs"]) == 1  # the upload landed anyway
    cf.inject("POST", r"/origin_tls_client_auth$", "drop", after_commit=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError)):
        upload(api, zone, leaf)
    assert len(cf.state()["zone_certs"]) == 2


def test_fault_matches_method_and_path(cf, api, zone):
    cf.inject("PATCH", "/settings/ssl", "status", status=503)
    assert api.call("GET", "/zones/%s/settings/ssl" % zone)[0] == 200  # other method
    assert api.call("GET", "/zones")[0] == 200                          # other path
    assert api.call("PATCH", "/zones/%s/settings/ssl" % zone, {"value": "strict"})[0] == 503


# --------------------------------------------------------------------------
# recording, state, reset
# --------------------------------------------------------------------------


def test_requests_are_recorded_in_order_with_bodies_and_headers(cf, api, zone, leaf):
    cid = cf.add_hostname_cert(zone, leaf.cert_pem, leaf.key_pem)
    api.call("GET", "/zones", token="bad-token")
    api.call("GET", "/zones?name=example.com")
    put_hostnames(api, zone, item("a.example.com", cid, False))
    put_hostnames(api, zone, item("a.example.com", cid, None))
    recs = cf.requests()
    assert [(r["method"], r["path"], r["status"]) for r in recs] == [
        ("GET", "/zones", 401),
        ("GET", "/zones", 200),
        ("PUT", "/zones/%s/origin_tls_client_auth/hostnames" % zone, 200),
        ("PUT", "/zones/%s/origin_tls_client_auth/hostnames" % zone, 200),
    ]
    assert recs[1]["query"] == {"name": "example.com"}
    assert recs[1]["headers"]["authorization"] == "Bearer " + TOKEN
    assert recs[2]["json"]["config"][0]["enabled"] is False
    assert recs[3]["json"]["config"][0]["enabled"] is None and "enabled" in recs[3]["json"]["config"][0]
    assert recs[0]["time"] <= recs[1]["time"] <= recs[3]["time"]
    cf.clear_requests()
    assert cf.requests() == []


def test_request_with_non_json_body_is_recorded(cf, api, zone):
    api.call("PUT", zpath(zone, "/settings"), raw="enabled=true")
    rec = cf.requests()[-1]
    assert rec["json"] is None and rec["body"] == "enabled=true" and rec["status"] == 400


def test_reset_empties_everything(cf, api, zone, leaf):
    cf.add_zone_cert(zone, leaf.cert_pem, leaf.key_pem)
    cf.inject("GET", ".*", "status", status=500)
    api.call("GET", "/zones")
    cf.reset()
    assert cf.state() == {"zones": [], "settings": {}, "zone_certs": [], "hostname_certs": [], "associations": []}
    assert cf.requests() == []
    cf.add_token(TOKEN)
    status, body, _, _ = api.call("GET", "/zones")
    assert status == 200 and body["result"] == []  # the injected fault is gone too


def test_stop_frees_the_port(tmp_path):
    fake = FakeCloudflare(tmp_path).start()
    port = fake.port
    fake.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


# --------------------------------------------------------------------------
# DNS records (D1) and the test-only edge endpoint (E1)
# --------------------------------------------------------------------------


def test_dns_records_envelope_filters_and_pages(cf, api, zone):
    for i in range(7):
        cf.add_dns_record(zone, "h%d.example.com" % i, "A", "192.0.2.%d" % i)
    cf.add_dns_record(zone, "www.example.com", "AAAA", "2001:db8::1", proxied=False)
    cf.add_dns_record(zone, "Cdn.Example.com.", "CNAME", "origin.example.net")
    status, body, _, _ = api.call("GET", "/zones/%s/dns_records?per_page=5" % zone)
    assert status == 200 and body["success"] is True
    assert body["result_info"] == {"page": 1, "per_page": 5, "count": 5, "total_count": 9,
                                   "total_pages": 2}
    rec = body["result"][0]
    assert set(rec) >= {"id", "zone_id", "zone_name", "name", "type", "content", "proxiable",
                        "proxied", "ttl", "created_on", "modified_on"}
    assert rec["zone_name"] == "example.com" and re.fullmatch(r"[0-9a-f]{32}", rec["id"])
    page2 = api.call("GET", "/zones/%s/dns_records?per_page=5&page=2" % zone)[1]
    assert page2["result_info"]["count"] == 4
    names = [r["name"] for r in body["result"] + page2["result"]]
    assert len(set(names)) == 9 and "cdn.example.com" in names
    proxied = api.call("GET", "/zones/%s/dns_records?proxied=true" % zone)[1]["result"]
    assert len(proxied) == 8 and all(r["proxied"] for r in proxied)
    aaaa = api.call("GET", "/zones/%s/dns_records?type=AAAA" % zone)[1]["result"]
    assert [r["content"] for r in aaaa] == ["2001:db8::1"]
    assert api.call("GET", "/zones/%s/dns_records?page=x" % zone)[0] == 400
    # Without credentials: the usual auth error.
    assert api.call("GET", "/zones/%s/dns_records" % zone, token=None)[0] == 400


def _edge(cf, zone, host):
    ctx = ssl.create_default_context(cafile=cf.ca_file)
    conn = http.client.HTTPSConnection("127.0.0.1", cf.port, context=ctx, timeout=10)
    conn.request("GET", "/_fake/edge/%s/%s" % (zone, host))
    resp = conn.getresponse()
    body = json.loads(resp.read().decode())
    conn.close()
    assert resp.status == 200
    assert body == cf.edge_presents(zone, host)
    return body


def test_edge_precedence_hostname_zone_global(cf, zone, pki, ca):
    cf.set_activation(gets=0)
    host = "app.example.com"
    assert _edge(cf, zone, host)["level"] == "none"
    with cf.app.lock:
        cf.app.zones[zone].tls_client_auth = "on"
    assert _edge(cf, zone, host)["level"] == "global"
    assert _edge(cf, zone, host)["certificate"] is None
    old = pki.issue("edge_z1", name("z1", "cfaop tests"), ca)
    new = pki.issue("edge_z2", name("z2", "cfaop tests"), ca)
    z1 = cf.add_zone_cert(zone, old.cert_pem, old.key_pem)
    assert _edge(cf, zone, host)["level"] == "global"  # zone-level still off
    with cf.app.lock:
        cf.app.zones[zone].aop_enabled = True
    assert (_edge(cf, zone, host)["level"], _edge(cf, zone, host)["cert_id"]) == ("zone", z1)
    time.sleep(0.001)
    z2 = cf.add_zone_cert(zone, new.cert_pem, new.key_pem)
    assert _edge(cf, zone, host)["cert_id"] == z2  # the most recently uploaded active one
    cf.force_cert_status(z2, "deployment_timed_out")
    assert _edge(cf, zone, host)["cert_id"] == z1
    h = pki.issue("edge_h", name(host, "cfaop tests"), ca)
    hid = cf.add_hostname_cert(zone, h.cert_pem, h.key_pem)
    cf.force_cert_status(hid, "pending_deployment")
    cf.set_association(zone, host, hid, enabled=True)
    assert _edge(cf, zone, host)["level"] == "zone"  # its certificate is not active yet
    cf.force_cert_status(hid, "active")
    got = _edge(cf, zone, host)
    assert (got["level"], got["cert_id"], got["certificate"]) == ("hostname", hid,
                                                                  h.cert_pem.rstrip())
    assert _edge(cf, zone, "other.example.com")["cert_id"] == z1
    cf.set_association(zone, host, hid, enabled=False)
    assert _edge(cf, zone, host)["level"] == "none"
    with cf.app.lock:
        cf.app.zones[zone].ssl = "flexible"
    assert _edge(cf, zone, "other.example.com")["level"] == "none"


def test_edge_reads_advance_no_lifecycle(cf, zone, leaf):
    cf.set_activation(gets=3)
    with cf.app.lock:
        cf.app.zones[zone].aop_enabled = True
    cid = cf.add_zone_cert(zone, leaf.cert_pem, leaf.key_pem, status="pending_deployment")
    for _ in range(5):
        assert _edge(cf, zone, "www.example.com")["level"] == "none"
    assert [c["status"] for c in cf.state()["zone_certs"] if c["id"] == cid] == \
        ["pending_deployment"]
