"""Behaviour on the wire: retries, uploads of unknown outcome, 429, pacing,
broken answers."""

import json
import time


def _list_between_posts(env):
    """The requests between the first and the second POST."""
    log = env.requests()
    posts = [i for i, r in enumerate(log) if r["method"] == "POST"]
    return log[posts[0] + 1:posts[1]] if len(posts) > 1 else log[posts[0] + 1:]


def test_upload_500_after_commit_leaves_one_certificate(env, pki):
    env.cf.inject("POST", r"/origin_tls_client_auth$", "status", status=500, after_commit=True)
    p = env.run("zone", "upload", *pki.leaf().args())
    assert p.returncode == 0, p.stderr
    assert len(env.zone_certs()) == 1
    assert len(env.requests("POST")) == 1        # never repeated blindly
    assert p.stdout.strip() == env.zone_certs()[0]["id"]
    assert "checking whether it landed" in p.stderr


def test_upload_dropped_after_commit_leaves_one_certificate(env, pki):
    env.cf.inject("POST", r"/hostnames/certificates$", "drop", after_commit=True)
    p = env.run("hostname", "upload", *pki.leaf().args())
    assert p.returncode == 0, p.stderr
    assert len(env.hostname_certs()) == 1 and len(env.requests("POST")) == 1


def test_upload_500_not_committed_is_checked_then_repeated(env, pki):
    env.cf.inject("POST", r"/origin_tls_client_auth$", "status", status=502)
    p = env.run("zone", "upload", *pki.leaf().args())
    assert p.returncode == 0, p.stderr
    assert len(env.requests("POST")) == 2 and len(env.zone_certs()) == 1
    between = _list_between_posts(env)
    assert any(r["method"] == "GET" and r["path"].endswith("/origin_tls_client_auth") for r in between)


def test_upload_malformed_answer_is_checked(env, pki):
    env.cf.inject("POST", r"/origin_tls_client_auth$", "malformed", after_commit=True)
    p = env.run("zone", "upload", *pki.leaf().args())
    assert p.returncode == 0, p.stderr
    assert len(env.zone_certs()) == 1 and len(env.requests("POST")) == 1


def test_get_5xx_is_retried(env):
    env.cf.inject("GET", r"/settings/ssl$", "status", count=2, status=503)
    p = env.run("ssl-mode")
    assert p.returncode == 0 and p.stdout.strip() == "full"
    assert [r["status"] for r in env.requests("GET", "/settings/ssl")] == [503, 503, 200]


def test_put_5xx_is_retried(env):
    env.cf.inject("PUT", r"/origin_tls_client_auth/settings$", "status", status=500)
    p = env.run("zone", "off") if False else env.run("zone", "on")
    assert p.returncode == 0
    assert [r["status"] for r in env.requests("PUT")] == [500, 200]


def test_retries_give_up_with_exit_1(env):
    env.cf.inject("GET", r"/settings/ssl$", "status", count=50, status=500)
    p = env.run("ssl-mode", env={"CFAOP_RETRIES": "2"})
    assert p.returncode == 1 and "500" in p.stderr
    assert len(env.requests("GET", "/settings/ssl")) == 3


def test_dropped_connection_on_get_is_retried(env):
    env.cf.inject("GET", r"/origin_tls_client_auth$", "drop")
    p = env.run("zone", "list")
    assert p.returncode == 0, p.stderr
    assert [r["status"] for r in env.requests("GET", "/origin_tls_client_auth")] == [None, 200]


def test_429_waits_retry_after(env):
    env.cf.inject("GET", r"/settings/ssl$", "rate_limit", retry_after=2)
    p = env.run("ssl-mode")
    assert p.returncode == 0
    reqs = env.requests("GET", "/settings/ssl")
    assert [r["status"] for r in reqs] == [429, 200]
    assert reqs[1]["time"] - reqs[0]["time"] >= 2.0


def test_429_on_upload_is_retried_once_accepted(env, pki):
    env.cf.inject("POST", r"/origin_tls_client_auth$", "rate_limit", retry_after=1)
    p = env.run("zone", "upload", *pki.leaf().args())
    assert p.returncode == 0
    assert [r["status"] for r in env.requests("POST")] == [429, 200]
    assert len(env.zone_certs()) == 1


def test_pacing_stays_under_the_limit(env):
    env.cf.set_rate_limit(requests=4, window=1.5)
    hosts = ["h%d.example.com" % i for i in range(6)]
    start = time.time()
    p = env.run("status", *hosts, env={"CFAOP_RATE_LIMIT": "4/1.5"})
    elapsed = time.time() - start
    assert p.returncode == 0, p.stderr
    reqs = env.requests()
    assert len(reqs) == 12
    assert all(r["status"] != 429 for r in reqs)
    times = sorted(r["time"] for r in reqs)
    for i in range(len(times) - 4):
        assert times[i + 4] - times[i] >= 1.5 - 0.05
    assert elapsed >= 3.0


def test_malformed_json_is_a_clear_error(env):
    env.cf.inject("GET", r"/settings/ssl$", "malformed")
    p = env.run("ssl-mode")
    assert p.returncode == 1
    assert "malformed response from the API" in p.stderr and "not JSON" in p.stderr
    env.cf.inject("GET", r"/settings/ssl$", "malformed", json={"result": None})
    p = env.run("--json", "ssl-mode")
    assert p.returncode == 1 and json.loads(p.stdout)["ok"] is False


def test_success_false_shows_api_code_and_message(env):
    env.cf.inject("GET", r"/settings/ssl$", "success_false", status=400,
                  errors=[{"code": 1234, "message": "Something specific went wrong"}])
    p = env.run("ssl-mode")
    assert p.returncode == 1
    assert "cfaop: error: API error 1234: Something specific went wrong" in p.stderr
    env.cf.inject("GET", r"/settings/ssl$", "success_false", status=200,
                  errors=[{"code": 1235, "message": "Failed with 200"}])
    p = env.run("ssl-mode")
    assert p.returncode == 1 and "API error 1235: Failed with 200" in p.stderr


def test_auth_error_chain_is_shown(env):
    p = env.run("ssl-mode", env={"CLOUDFLARE_API_TOKEN": "bad/token"})
    assert p.returncode == 3
    assert "6003" in p.stderr and "6111" in p.stderr
