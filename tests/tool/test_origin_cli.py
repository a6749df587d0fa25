"""check-origin, probe and the guards: what is refused before any request.

Their behaviour against a real Apache is in tests/integration/test_origin_tool.py
and test_rotation_drill.py; here, the usage errors and bad policy sources.
"""
import json


def test_usage_errors_make_no_request(env):
    cases = [
        ("check-origin",),
        ("probe", "www.example.com"),
        ("probe", "*.example.com", "--origin", "192.0.2.1"),
        ("probe", "www.example.com", "--origin", "192.0.2.1:http"),
        ("probe", "www.example.com", "--origin", "[2001:db8::1"),
        ("probe", "www.example.com", "--from-dns", "--path", "no-slash"),
        ("probe", "www.example.com", "--from-dns", "--port", "70000"),
        ("status", "--origin-policy", "p.json"),
        ("zone", "list", "--force"),
    ]
    for args in cases:
        p = env.run(*args)
        assert p.returncode == 2, (args, p.stderr)
    assert env.requests() == []


def test_bad_policy_sources_fail_before_any_change(env, tmp_path):
    not_policy = tmp_path / "other.json"
    not_policy.write_text(json.dumps({"format": "something/1", "vhosts": []}))
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    bad_pin = tmp_path / "pin.json"
    bad_pin.write_text(json.dumps({
        "format": "cfaop-policy/1", "vhosts": [], "open": [], "certificates": {},
        "policies": {"1": {"anchors": [], "pins": [{"type": "sha256", "value": "zz"}]}}}))
    for source, says in ((not_policy, "not a cfaop-policy/1 document"), (broken, "broken.json"),
                         (tmp_path / "missing.json", "missing.json"),
                         (bad_pin, "policy 1"), ("http://127.0.0.1:1/cfaop-status", "https://")):
        for args in (("check-origin", "--policy", str(source)),
                     ("zone", "on", "--origin-policy", str(source))):
            p = env.run(*args)
            assert p.returncode == 1, (args, p.stderr)
            assert says in p.stderr, (args, p.stderr)
    assert [r for r in env.requests() if r["method"] != "GET"] == []


def test_guard_reads_the_environment_and_judges_an_empty_origin(env, tmp_path):
    doc = tmp_path / "empty.json"
    doc.write_text(json.dumps({"format": "cfaop-policy/1", "vhosts": [], "open": [],
                               "policies": {}, "certificates": {}}))
    p = env.run("--json", "zone", "on", env={"CFAOP_ORIGIN_POLICY": str(doc)})
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["origin_check"] == {"state": "after", "hostnames": [], "refused": 0,
                                   "blocked": False}
    p = env.run("--json", "check-origin", "--policy", str(doc))
    assert p.returncode == 0
    out = json.loads(p.stdout)
    assert out["hostnames"] == [] and out["zone"] == "example.com"
    assert any("no origin serves a hostname" in w for w in out["warnings"])


def test_check_origin_reads_standard_input_once(env):
    doc = json.dumps({"format": "cfaop-policy/1", "vhosts": [], "open": [], "policies": {},
                      "certificates": {}})
    p = env.run("--json", "check-origin", "--policy", "-", stdin=doc)
    assert p.returncode == 0, p.stderr
    p = env.run("check-origin", "--policy", "-", "--policy", "-", stdin=doc)
    assert p.returncode == 2 and "only once" in p.stderr
