"""ssl-mode, global and verify-token."""

import json


def test_ssl_mode_show_and_set(env):
    p = env.run("ssl-mode")
    assert p.returncode == 0 and p.stdout.strip() == "full"
    p = env.run("ssl-mode", "strict")
    assert p.returncode == 0 and p.stdout.strip() == "strict"
    assert env.requests("PATCH")[-1]["json"] == {"value": "strict"}
    assert env.cf.state()["settings"][env.zone_id]["ssl"] == "strict"
    # origin_pull is a value the API has.
    p = env.run("--json", "ssl-mode", "origin_pull")
    assert json.loads(p.stdout)["ssl_mode"] == "origin_pull"
    # Same value again: no PATCH.
    n = len(env.requests("PATCH"))
    assert env.run("ssl-mode", "origin_pull").returncode == 0
    assert len(env.requests("PATCH")) == n


def test_ssl_mode_flexible_warns(env):
    p = env.run("ssl-mode", "flexible")
    assert p.returncode == 0
    assert "warning: SSL/TLS encryption mode is 'flexible'" in p.stderr


def test_global_on_off(env):
    p = env.run("global")
    assert p.returncode == 0 and p.stdout.strip() == "off"
    p = env.run("global", "on")
    assert p.returncode == 0 and p.stdout.strip() == "on"
    assert env.requests("PATCH", "tls_client_auth")[-1]["json"] == {"value": "on"}
    assert env.cf.state()["settings"][env.zone_id]["tls_client_auth"] == "on"
    assert env.run("global", "off").returncode == 0
    assert env.cf.state()["settings"][env.zone_id]["tls_client_auth"] == "off"


def test_global_on_in_flexible_mode_warns(env):
    env.run("ssl-mode", "off")
    p = env.run("global", "on")
    assert p.returncode == 0 and "warning: SSL/TLS encryption mode is 'off'" in p.stderr


def test_verify_token(env):
    p = env.run("verify-token", zone=False)
    assert p.returncode == 0 and "active" in p.stdout
    assert env.requests()[-1]["path"] == "/user/tokens/verify"
    p = env.run("--json", "verify-token")
    doc = json.loads(p.stdout)
    assert doc["token"]["status"] == "active" and doc["zone_read"] is True


def test_verify_token_disabled_and_invalid(env):
    env.cf.add_token("disabledtoken", status="disabled")
    p = env.run("verify-token", zone=False, env={"CLOUDFLARE_API_TOKEN": "disabledtoken"})
    assert p.returncode == 3 and "disabled" in p.stderr
    p = env.run("verify-token", zone=False, env={"CLOUDFLARE_API_TOKEN": "nosuchtoken"})
    assert p.returncode == 3 and "API error 1000" in p.stderr


def test_verify_account_token(env):
    env.cf.add_token("accounttoken", account_id="a" * 32)
    other = env.cf.add_zone("acct.example", account_id="a" * 32)
    assert other
    # Known account: verified there directly.
    p = env.run("verify-token", zone=False, env={"CLOUDFLARE_API_TOKEN": "accounttoken",
                                                 "CLOUDFLARE_ACCOUNT_ID": "a" * 32})
    assert p.returncode == 0, p.stderr
    assert env.requests()[-1]["path"] == "/accounts/%s/tokens/verify" % ("a" * 32)
    # Unknown account, but a zone: the zone's account is tried after 1000.
    p = env.run("verify-token", zone="acct.example", env={"CLOUDFLARE_API_TOKEN": "accounttoken"})
    assert p.returncode == 0, p.stderr


def test_verify_with_legacy_key_needs_zone(env):
    env.cf.add_legacy_key("a@example.com", "abcdef0123")
    keyenv = {"CLOUDFLARE_API_KEY": "abcdef0123", "CLOUDFLARE_EMAIL": "a@example.com"}
    p = env.run("verify-token", zone=False, token=False, env=keyenv)
    assert p.returncode == 2
    p = env.run("verify-token", token=False, env=keyenv)
    assert p.returncode == 0 and "readable" in p.stdout
