"""Global options, credentials, output modes and exit codes (SPEC §3)."""

import json
import os

from conftest import ZONE_NAME


def test_help_lists_every_command(env):
    p = env.run("--help", zone=False, api=False, token=False)
    assert p.returncode == 0
    for cmd in ("status", "ssl-mode", "global", "zone on", "zone off", "zone upload", "zone list",
                "zone show", "zone delete", "zone rotate", "hostname upload", "hostname certs",
                "hostname cert", "hostname delete-cert", "hostname enable", "hostname disable",
                "hostname remove", "hostname show", "hostname rotate", "verify-token"):
        assert "  " + cmd in p.stdout, cmd
    for opt in ("--zone", "--token-file", "--api-base", "--cacert", "--json", "--dry-run",
                "--timeout", "--quiet", "--verbose", "--version"):
        assert opt in p.stdout, opt


def test_command_help_and_version(env):
    p = env.run("zone", "-h", zone=False, api=False, token=False)
    assert p.returncode == 0 and "zone rotate" in p.stdout and "hostname enable" not in p.stdout
    p = env.run("--version", zone=False, api=False, token=False)
    assert p.returncode == 0 and p.stdout.startswith("cfaop ")


def test_usage_errors_exit_2_without_requests(env):
    cases = [
        ("frobnicate",),
        ("zone",),
        ("zone", "explode"),
        ("zone", "show"),                        # missing ID
        ("zone", "list", "--force"),             # option of another command
        ("--bogus", "status"),
        ("ssl-mode", "medium"),
        ("global", "maybe"),
        ("zone", "upload", "--cert", "x.pem"),   # --key missing
        ("hostname", "enable", "a.example.com"),  # neither --cert-id nor --cert
        ("--timeout", "soon", "status"),
        ("hostname", "show", "not a host"),
    ]
    for args in cases:
        p = env.run(*args)
        assert p.returncode == 2, (args, p.stderr)
        assert "cfaop: error:" in p.stderr, args
    assert env.requests() == []


def test_token_is_never_an_argument(env):
    p = env.run("--token", env.token + "x", "status")
    assert p.returncode == 2
    assert "never accepted as an argument" in p.stderr
    assert env.requests() == []


def test_global_options_before_and_after_command(env):
    before = env.run("--json", "ssl-mode", zone=True)
    after_argv = ["ssl-mode", "--json", "-z", ZONE_NAME, "--api-base", env.cf.base_url,
                  "--cacert", env.cf.ca_file]
    after = env.run(*after_argv, zone=False, api=False)
    assert before.returncode == after.returncode == 0
    assert json.loads(before.stdout)["ssl_mode"] == json.loads(after.stdout)["ssl_mode"] == "full"


def test_zone_by_name_and_by_id(env):
    by_name = env.run("ssl-mode")
    assert by_name.returncode == 0
    assert any(r["path"] == "/zones" and r["query"].get("name") == ZONE_NAME for r in env.requests())
    env.cf.clear_requests()
    by_id = env.run("ssl-mode", zone=env.zone_id.upper())
    assert by_id.returncode == 0 and by_id.stdout == by_name.stdout
    assert [r["path"] for r in env.requests()] == ["/zones/%s/settings/ssl" % env.zone_id]


def test_zone_from_env_and_unknown_zone(env):
    p = env.run("ssl-mode", zone=False, env={"CFAOP_ZONE": ZONE_NAME})
    assert p.returncode == 0 and p.stdout.strip() == "full"
    p = env.run("ssl-mode", zone="nosuch.example")
    assert p.returncode == 4 and "not found" in p.stderr
    p = env.run("ssl-mode", zone=False)
    assert p.returncode == 2 and "no zone" in p.stderr


def test_api_base_from_env(env):
    p = env.run("--cacert", env.cf.ca_file, "ssl-mode", api=False,
                env={"CLOUDFLARE_BASE_URL": env.cf.base_url})
    assert p.returncode == 0 and p.stdout.strip() == "full"
    assert env.requests()
    # --api-base wins over the environment.
    p = env.run("ssl-mode", env={"CLOUDFLARE_BASE_URL": "https://127.0.0.1:1/client/v4"})
    assert p.returncode == 0


def test_api_base_must_be_https_and_tls_is_verified(env):
    p = env.run("--api-base", env.cf.base_url.replace("https:", "http:"), "ssl-mode", api=False)
    assert p.returncode == 2 and "https" in p.stderr
    # Without --cacert the fake's certificate is not trusted: no way around it.
    p = env.run("--api-base", env.cf.base_url, "ssl-mode", api=False,
                env={"CFAOP_RETRIES": "0"})
    assert p.returncode == 1 and "--cacert" in p.stderr
    assert not any(r["method"] for r in env.requests())


def test_token_file_and_stdin(env, tmp_path):
    tf = tmp_path / "token"
    tf.write_text(env.token + "\n")   # a trailing newline is trimmed
    os.chmod(tf, 0o600)
    p = env.run("--token-file", str(tf), "ssl-mode", token=False)
    assert p.returncode == 0, p.stderr
    p = env.run("--token-file", "-", "ssl-mode", token=False, stdin="  %s\r\n" % env.token)
    assert p.returncode == 0, p.stderr
    auth = {r["headers"].get("authorization") for r in env.requests()}
    assert auth == {"Bearer " + env.token}


def test_token_file_world_readable_warns(env, tmp_path):
    tf = tmp_path / "token"
    tf.write_text(env.token)
    os.chmod(tf, 0o644)
    p = env.run("--token-file", str(tf), "ssl-mode", token=False)
    assert p.returncode == 0
    assert "warning: token file" in p.stderr


def test_cf_api_token_fallback(env):
    p = env.run("ssl-mode", token=False, env={"CF_API_TOKEN": env.token})
    assert p.returncode == 0
    # CLOUDFLARE_API_TOKEN takes precedence over CF_API_TOKEN.
    p = env.run("ssl-mode", env={"CF_API_TOKEN": "wrong-token"})
    assert p.returncode == 0
    assert {r["headers"]["authorization"] for r in env.requests()} == {"Bearer " + env.token}


def test_legacy_key_and_email(env):
    env.cf.add_legacy_key("admin@example.com", "0123456789abcdef0123456789abcdef01234")
    p = env.run("ssl-mode", token=False, env={"CLOUDFLARE_API_KEY": "0123456789abcdef0123456789abcdef01234",
                                              "CLOUDFLARE_EMAIL": "admin@example.com"})
    assert p.returncode == 0, p.stderr
    r = env.requests()[-1]
    assert r["headers"]["x-auth-email"] == "admin@example.com"
    assert "authorization" not in r["headers"]
    p = env.run("ssl-mode", token=False, env={"CLOUDFLARE_API_KEY": "ffff",
                                              "CLOUDFLARE_EMAIL": "admin@example.com"})
    assert p.returncode == 3 and "9103" in p.stderr


def test_token_and_key_together_is_usage_error(env):
    p = env.run("ssl-mode", env={"CLOUDFLARE_API_KEY": "abc", "CLOUDFLARE_EMAIL": "a@b.c"})
    assert p.returncode == 2 and "both" in p.stderr
    assert env.requests() == []


def test_no_credentials_and_bad_token(env):
    p = env.run("ssl-mode", token=False)
    assert p.returncode == 3 and "no API credentials" in p.stderr
    p = env.run("ssl-mode", env={"CLOUDFLARE_API_TOKEN": "unknown-token"})
    assert p.returncode == 3 and "API error 1000" in p.stderr


def test_permission_error_is_exit_3(env):
    env.cf.add_token("readonly-token", write=False)
    p = env.run("ssl-mode", "strict", env={"CLOUDFLARE_API_TOKEN": "readonly-token"})
    assert p.returncode == 3 and "10000" in p.stderr


def test_json_output_is_one_document(env):
    p = env.run("--json", "status")
    assert p.returncode == 0
    doc = json.loads(p.stdout)
    assert doc["ok"] is True and doc["exit_code"] == 0 and doc["warnings"] == []
    assert doc["zone"]["id"] == env.zone_id
    p = env.run("--json", "zone", "show", "00000000-0000-0000-0000-000000000000")
    doc = json.loads(p.stdout)
    assert p.returncode == 4 and doc["ok"] is False and "1407" in doc["error"]


def test_quiet_and_verbose(env, pki):
    leaf = pki.leaf()
    q = env.run("-q", "zone", "upload", *leaf.args())
    assert q.returncode == 0
    assert q.stderr == ""
    assert len(q.stdout.split()) == 1           # just the id
    v = env.run("-v", "zone", "list")
    assert v.returncode == 0
    lines = [l for l in v.stderr.splitlines() if l.startswith("cfaop: GET ")]
    assert len(lines) == 2                      # zone lookup, list
    assert "/origin_tls_client_auth -> 200 (" in lines[1] and "ms)" in lines[1]
    assert env.token not in v.stderr


def test_dry_run_makes_no_mutating_request(env, pki):
    leaf = pki.leaf()
    env.run("zone", "upload", *pki.leaf().args())
    env.cf.clear_requests()
    cmds = [
        ("zone", "on"), ("zone", "upload", *leaf.args()), ("zone", "rotate", *leaf.args()),
        ("ssl-mode", "strict"), ("global", "on"),
        ("hostname", "enable", "a.example.com", *leaf.args()),
        ("zone", "delete", env.zone_certs()[0]["id"]),
    ]
    for args in cmds:
        p = env.run("--dry-run", *args)
        assert p.returncode == 0, (args, p.stderr)
        assert "dry-run: " in p.stdout
        assert "BEGIN PRIVATE KEY" not in p.stdout and leaf.key_pem.splitlines()[1] not in p.stdout
    assert env.mutating() == []
    p = env.run("--dry-run", "--json", "zone", "upload", *leaf.args())
    doc = json.loads(p.stdout)
    assert doc["dry_run"] is True
    assert doc["calls"][0]["method"] == "POST"
    assert doc["calls"][0]["body"]["private_key"] == "[REDACTED]"
    assert doc["calls"][0]["body"]["certificate"].startswith("-----BEGIN CERTIFICATE-----")


def test_timeout_with_slow_api(env):
    env.cf.inject("GET", r"/settings/ssl$", "slow", count=10, seconds=3)
    p = env.run("--timeout", "0.5", "ssl-mode", env={"CFAOP_RETRIES": "1"})
    assert p.returncode == 1
    assert "imed out" in p.stderr       # curl: "Operation timed out" / "Timeout was reached"
    assert len(env.requests("GET", "/settings/ssl")) == 2   # first try + one retry


def test_token_only_in_authorization_header(env, pki):
    p = env.run("-v", "zone", "upload", *pki.leaf().args())
    assert p.returncode == 0
    assert env.token not in " ".join(p.argv)
    for r in env.requests():
        assert r["headers"]["authorization"] == "Bearer " + env.token
        for name, value in r["headers"].items():
            if name != "authorization":
                assert env.token not in value
        assert env.token not in r["body"] and env.token not in r["raw_path"]
        assert env.token not in r["query_string"]


def test_private_key_never_in_output_or_temp_files(env, pki, tmp_path):
    leaf = pki.leaf()
    before = set(os.listdir("/tmp"))
    p = env.run("-v", "zone", "upload", *leaf.args())
    assert p.returncode == 0
    key_line = leaf.key_pem.splitlines()[1]
    assert key_line not in p.stdout and key_line not in p.stderr
    new = set(os.listdir("/tmp")) - before
    for name in new:
        path = os.path.join("/tmp", name)
        if os.path.isfile(path):
            with open(path, errors="replace") as f:
                assert key_line not in f.read()
    post = env.requests("POST")[0]
    assert post["json"]["private_key"].strip().startswith("-----BEGIN PRIVATE KEY-----")


def test_exit_codes_0_to_5(env, pki):
    assert env.run("ssl-mode").returncode == 0
    assert env.run("zone", "upload", "--cert", "/nonexistent", "--key", "/nonexistent").returncode == 1
    assert env.run("zone", "nope").returncode == 2
    assert env.run("ssl-mode", env={"CLOUDFLARE_API_TOKEN": "bad"}).returncode == 3
    assert env.run("zone", "show", "11111111-2222-3333-4444-555555555555").returncode == 4
    env.cf.set_activation(gets=1000)
    assert env.run("zone", "rotate", *pki.leaf().args(), "--wait", "0.3").returncode == 5


def test_unknown_zone_id_is_not_found(env):
    p = env.run("hostname", "show", "a.example.com", zone="f" * 32)
    assert p.returncode == 4 and "API error 7003" in p.stderr
    p = env.run("status", zone="e" * 32)
    assert p.returncode == 4 and "API error 7003" in p.stderr
