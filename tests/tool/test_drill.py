"""Drill: cfaop killed (SIGKILL) at every request of a rotation, then run
again. Whatever the step, the rerun converges: exactly one live certificate,
the new one, active; the old one deleted; the associations on the new one
with their enabled state kept; one upload, never two."""

import os

import pytest

from conftest import ZONE_NAME

HOSTS = ("app.example.com", "www.example.com")
MUTATING = ("POST", "PUT", "PATCH", "DELETE")
FAST = {"CFAOP_POLL_INTERVAL": "0.005"}


def _fresh(env, n):
    """A fresh API state (one old certificate in use) and state directory."""
    env.cf.reset()
    env.zone_id = env.cf.add_zone(ZONE_NAME, zone_aop_enabled=True)
    env.cf.add_token(env.token)
    env.cf.set_activation(gets=1)
    env.cf.set_deletion(gets=1)
    env.state_dir = os.path.join(env.dir, "state-%d" % n)


def _uploads(env):
    return [r for r in env.requests("POST") if r.get("committed_status") == 200]


def _drill(env, setup, command, check):
    """A clean run gives the sequence of requests; then the tool is killed
    before each request reaches the API, and after the commit of each
    mutating one (the effect happened, the answer is lost), and run again."""
    _fresh(env, 0)
    ctx = setup(env)
    p = env.run(*command(ctx), env=FAST)
    assert p.returncode == 0, p.stderr
    check(env, ctx)
    methods = [r["method"] for r in env.requests()]
    points = [(n, False) for n in range(1, len(methods) + 1)]
    points += [(n, True) for n in range(1, len(methods) + 1) if methods[n - 1] in MUTATING]
    for i, (n, after_commit) in enumerate(points, 1):
        _fresh(env, i)
        ctx = setup(env)
        plan = env.cf.kill_client_at(n, after_commit=after_commit)
        proc = env.start(*command(ctx), env=FAST)
        plan.target(proc.pid)
        proc.communicate(timeout=60)
        assert plan.fired and proc.returncode == -9, (n, after_commit)
        killed = env.requests()[-1]
        assert killed["method"] == methods[n - 1]
        p = env.run(*command(ctx), env=FAST)
        assert p.returncode == 0, (n, after_commit, killed["method"], killed["path"], p.stderr)
        check(env, ctx)
    return methods


def test_drill_zone_rotate(env, pki):
    old, new = pki.leaf(), pki.leaf()

    def setup(env):
        return {"old": env.cf.add_zone_cert(env.zone_id, old.cert_pem, old.key_pem)}

    def command(ctx):
        return ("zone", "rotate", *new.args())

    def check(env, ctx):
        live = [c for c in env.zone_certs() if c["status"] not in ("pending_deletion", "deleted")]
        assert [(c["status"], c["serial_number"]) for c in live] == \
            [("active", str(new.cert.serial_number))]
        assert ctx["old"] not in [c["id"] for c in live]
        assert len(_uploads(env)) == 1

    methods = _drill(env, setup, command, check)
    assert {"POST", "DELETE"} <= set(methods)


def test_drill_hostname_rotate(env, pki):
    old, new = pki.leaf(), pki.leaf()

    def setup(env):
        old_id = env.cf.add_hostname_cert(env.zone_id, old.cert_pem, old.key_pem)
        env.cf.set_association(env.zone_id, HOSTS[0], old_id)
        env.cf.set_association(env.zone_id, HOSTS[1], old_id, enabled=False)
        return {"old": old_id}

    def command(ctx):
        return ("hostname", "rotate", *HOSTS, *new.args())

    def check(env, ctx):
        live = [c for c in env.hostname_certs()
                if c["status"] not in ("pending_deletion", "deleted")]
        assert [(c["status"], c["serial_number"]) for c in live] == \
            [("active", str(new.cert.serial_number))]
        assocs = {a["hostname"]: (a["cert_id"], a["enabled"]) for a in env.associations()}
        assert assocs == {HOSTS[0]: (live[0]["id"], True), HOSTS[1]: (live[0]["id"], False)}
        assert len(_uploads(env)) == 1

    methods = _drill(env, setup, command, check)
    assert {"POST", "PUT", "DELETE"} <= set(methods)
