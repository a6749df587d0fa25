"""Holes found by attacking the tool (hardening issue, items 5-8): each test
failed before its fix."""

import json
import os
import subprocess
import time

from conftest import ZONE_NAME

HOST = "app.example.com"

ENVELOPE_OK = {"success": True, "errors": [], "messages": []}


# -------------------------------------------------------------- item 5

def test_hostname_rotate_resumes_after_association_timeout(env, pki):
    old, new = pki.leaf(), pki.leaf()
    old_id = env.cf.add_hostname_cert(env.zone_id, old.cert_pem, old.key_pem)
    env.cf.set_association(env.zone_id, HOST, old_id)
    new_id = env.cf.add_hostname_cert(env.zone_id, new.cert_pem, new.key_pem)
    env.cf.set_activation(gets=1000)          # the association never gets active
    p = env.run("hostname", "rotate", HOST, *new.args(), "--wait", "0.3")
    assert p.returncode == 5, p.stderr
    assert old_id in p.stderr and "run the same command again" in p.stderr
    assert env.associations()[0]["cert_id"] == new_id
    env.cf.force_association_status(env.zone_id, HOST, "active")
    p = env.run("hostname", "rotate", HOST, *new.args())
    assert p.returncode == 0, p.stderr
    assert [c["id"] for c in env.hostname_certs() if c["status"] != "pending_deletion"] == [new_id]
    assert [r["path"].rsplit("/", 1)[1] for r in env.requests("DELETE")] == [old_id]
    assert env.requests("POST") == []
    # Done: a third run has nothing left to do.
    n = len(env.mutating())
    assert env.run("hostname", "rotate", HOST, *new.args()).returncode == 0
    assert [r["method"] for r in env.mutating()[n:]] == ["PUT"]


def test_hostname_rotate_says_when_its_journal_cannot_be_written(env, pki):
    """A journal that cannot be saved is said (a rerun could not resume), the rotation
    itself goes on, and no temporary file is left behind."""
    old, new = pki.leaf(), pki.leaf()
    old_id = env.cf.add_hostname_cert(env.zone_id, old.cert_pem, old.key_pem)
    env.cf.set_association(env.zone_id, HOST, old_id)
    new_id = env.cf.add_hostname_cert(env.zone_id, new.cert_pem, new.key_pem)
    os.makedirs(env.state_dir, exist_ok=True)
    blocked = os.path.join(env.state_dir, "hostname-rotate-%s-%s.json"
                           % (env.zone_id, new.sha256_hex[:16]))
    os.makedirs(os.path.join(blocked, "in-the-way"))  # rename() onto it fails, even as root
    p = env.run("hostname", "rotate", HOST, *new.args())
    assert p.returncode == 0, p.stderr
    assert "cannot write the rotation journal" in p.stderr and blocked in p.stderr
    assert "will not be resumed" in p.stderr
    assert env.associations()[0]["cert_id"] == new_id
    assert not [n for n in os.listdir(env.state_dir) if n.endswith(".tmp")]


# -------------------------------------------------------------- item 6

def test_zone_delete_guard_ignores_case(env, pki):
    leaf = pki.leaf()
    cid = env.cf.add_zone_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    env.run("zone", "on")
    p = env.run("zone", "delete", cid.upper())
    assert p.returncode == 1 and "last active zone certificate" in p.stderr
    assert env.requests("DELETE") == []


def test_wrong_shape_certificate_list_is_an_error(env, pki):
    leaf = pki.leaf()
    cid = env.cf.add_zone_cert(env.zone_id, leaf.cert_pem, leaf.key_pem)
    env.run("zone", "on")
    for result in (None, {"id": cid}, "x"):
        env.cf.inject("GET", r"/origin_tls_client_auth$", "malformed",
                      json=dict(ENVELOPE_OK, result=result))
        p = env.run("zone", "list")
        assert p.returncode == 1, (result, p.stdout, p.stderr)
        assert "malformed response" in p.stderr and "(none)" not in p.stdout
        env.cf.inject("GET", r"/origin_tls_client_auth$", "malformed",
                      json=dict(ENVELOPE_OK, result=result))
        p = env.run("zone", "delete", cid)
        assert p.returncode == 1 and "malformed response" in p.stderr
    assert env.requests("DELETE") == []
    env.cf.inject("GET", r"/hostnames/certificates$", "malformed",
                  json=dict(ENVELOPE_OK, result=[None]))
    p = env.run("hostname", "certs")
    assert p.returncode == 1 and "not an object" in p.stderr


def test_wrong_shape_objects_and_zone_list_are_errors(env):
    env.cf.inject("GET", r"^/zones$", "malformed", json=dict(ENVELOPE_OK, result={}))
    p = env.run("ssl-mode")
    assert p.returncode == 1 and "malformed response" in p.stderr
    env.cf.inject("GET", r"/hostnames/" + HOST, "malformed", json=dict(ENVELOPE_OK, result=[]))
    p = env.run("hostname", "show", HOST)
    assert p.returncode == 1 and "malformed response" in p.stderr
    env.cf.inject("GET", r"/origin_tls_client_auth/settings$", "malformed",
                  json=dict(ENVELOPE_OK, result={"enabled": "yes"}))
    p = env.run("status")
    assert p.returncode == 1 and "enabled" in p.stderr


# -------------------------------------------------------------- item 7

def test_json_document_on_usage_errors(env):
    for args in (("--json", "frobnicate"), ("--bogus", "--json", "status"),
                 ("zone", "show", "--json"), ("--json", "ssl-mode", "medium")):
        p = env.run(*args)
        assert p.returncode == 2, args
        doc = json.loads(p.stdout)
        assert doc["ok"] is False and doc["exit_code"] == 2 and doc["error"], args


def test_json_error_survives_non_utf8_bytes(env, tmp_path):
    bad = os.fsencode(str(tmp_path)) + b"/caf\xe9.pem"
    argv = [os.fsencode(a) for a in env.argv("--json", "zone", "upload")] + [
        b"--cert", bad, b"--key", bad]
    p = subprocess.run(argv, env=env.base_env(), capture_output=True)
    assert p.returncode == 1
    doc = json.loads(p.stdout.decode("utf-8"))
    assert "caf\\xe9.pem" in doc["error"]


def test_token_file_that_is_a_directory(env, tmp_path):
    p = env.run("--token-file", str(tmp_path), "ssl-mode", token=False)
    assert p.returncode == 3
    assert "is a directory" in p.stderr and "empty" not in p.stderr


def test_help_for_an_unknown_command(env):
    p = env.run("help", "bogus", zone=False, api=False, token=False)
    assert p.returncode == 2 and "cfaop: error:" in p.stderr
    p = env.run("help", "zone", zone=False, api=False, token=False)
    assert p.returncode == 0 and "zone rotate" in p.stdout


def test_stdout_write_error_is_a_failure(env):
    with open("/dev/full", "w") as full:
        for args in (("--version",), ("ssl-mode",), ("--json", "status")):
            p = subprocess.run(env.argv(*args), env=env.base_env(), stdout=full,
                               stderr=subprocess.PIPE, text=True)
            assert p.returncode != 0, args
            assert "cannot write to standard output" in p.stderr, args


# -------------------------------------------------------------- item 8

def test_token_quoted_by_the_api_is_redacted(env):
    for args in (("ssl-mode",), ("--json", "ssl-mode")):
        env.cf.inject("GET", r"/settings/ssl$", "success_false", status=400,
                      errors=[{"code": 6111, "message": "Invalid header 'Bearer %s'" % env.token}])
        p = env.run(*args)      # run() fails on any leaked token
        assert p.returncode == 3
        assert "[REDACTED]" in (p.stdout + p.stderr)


def test_authentication_error_says_what_to_check(env):
    env.cf.add_token("readonly-token", write=False)
    p = env.run("ssl-mode", "strict", env={"CLOUDFLARE_API_TOKEN": "readonly-token"})
    assert p.returncode == 3
    assert "Zone Settings Write" in p.stderr and "verify-token" in p.stderr
    p = env.run("zone", "on", env={"CLOUDFLARE_API_TOKEN": "readonly-token"})
    assert p.returncode == 3 and "SSL and Certificates Write" in p.stderr
    p = env.run("ssl-mode", env={"CLOUDFLARE_API_TOKEN": "unknown-token"})
    assert p.returncode == 3 and "cfaop verify-token" in p.stderr


def test_argument_errors_win_over_missing_credentials(env):
    for args in (("ssl-mode", "medium"), ("global", "maybe"), ("zone", "show", "bad/id"),
                 ("hostname", "show", "not a host"), ("status", "-bad-"),
                 ("hostname", "enable", HOST)):
        p = env.run(*args, token=False)
        assert p.returncode == 2, (args, p.stderr)
    p = env.run("status", zone="not a zone!", token=False)
    assert p.returncode == 2
    assert env.requests() == []


def test_self_imposed_pause_is_announced(env):
    p = env.run("status", HOST, env={"CFAOP_RATE_LIMIT": "3/0.4"})
    assert p.returncode == 0
    assert "note: pausing" in p.stderr and "rate limit" in p.stderr


def _wait_for(cond, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_two_rotations_at_once_are_refused(env, pki):
    env.cf.set_activation(gets=100000)
    first = env.start("zone", "rotate", *pki.leaf().args(), "--wait", "20",
                      env={"CFAOP_POLL_INTERVAL": "0.5"})
    try:
        assert _wait_for(lambda: env.requests("POST")), "the first rotation did not upload"
        for cmd in (("zone", "rotate"), ("hostname", "rotate", HOST)):
            p = env.run(*cmd, *pki.leaf().args())
            assert p.returncode == 1, p.stderr
            assert "another cfaop is rotating" in p.stderr and str(first.pid) in p.stderr
        assert len(env.requests("POST")) == 1
    finally:
        first.kill()
        first.communicate()
    # The lock dies with its holder, however it died.
    env.cf.set_activation(gets=0)
    for c in env.zone_certs():
        env.cf.force_cert_status(c["id"], "active")
    p = env.run("zone", "rotate", *pki.leaf().args())
    assert p.returncode == 0, p.stderr


def test_rotation_keeps_a_disabled_host_disabled(env, pki):
    old = pki.leaf()
    old_id = env.cf.add_hostname_cert(env.zone_id, old.cert_pem, old.key_pem)
    env.cf.set_association(env.zone_id, HOST, old_id, enabled=False)
    env.cf.set_association(env.zone_id, "www.example.com", old_id)
    p = env.run("hostname", "rotate", HOST, "www.example.com", *pki.leaf().args())
    assert p.returncode == 0, p.stderr
    enabled = {a["hostname"]: a["enabled"] for a in env.associations()}
    assert enabled == {HOST: False, "www.example.com": True}
    assert "stays disabled" in p.stderr
    p = env.run("hostname", "rotate", HOST, "www.example.com", *pki.leaf().args(), "--enable")
    assert p.returncode == 0, p.stderr
    assert all(a["enabled"] is True for a in env.associations())


def test_zone_lookup_reads_every_page(env):
    ids = [env.cf.add_zone("dup.example", account_id="%032x" % i) for i in range(60)]
    p = env.run("ssl-mode", zone="dup.example")
    assert p.returncode == 1
    assert "60 zones are named" in p.stderr
    assert all(i in p.stderr for i in ids)
    pages = [r["query"].get("page", "1") for r in env.requests("GET") if r["path"] == "/zones"]
    assert pages == ["1", "2"]
