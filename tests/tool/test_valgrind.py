"""cfaop under valgrind: no memory errors and no leaks, on success and on an
API error (needs the Debian package valgrind)."""

import json
import shutil
import subprocess

from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from lib.pki import mldsa_certificate

VALGRIND = ["valgrind", "--quiet", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99"]


def _vg(env, *args, extra_env=None):
    assert shutil.which("valgrind"), "valgrind is not installed (apt-get install valgrind)"
    argv = VALGRIND + [env.bin, "--api-base", env.cf.base_url, "--cacert", env.cf.ca_file,
                       "-z", "example.com"] + list(args)
    return subprocess.run(argv, env=env.base_env(extra=extra_env), capture_output=True,
                          text=True, timeout=300)


def test_valgrind_success_and_api_error(env, pki):
    leaf = pki.leaf()
    p = _vg(env, "--json", "zone", "rotate", *leaf.args())
    assert p.returncode == 0, p.stderr
    p = _vg(env, "status", "app.example.com")
    assert p.returncode == 0, p.stderr
    env.cf.inject("PUT", "/hostnames$", "success_false", status=400,
                  errors=[{"code": 1415, "message": "Certificate ID in request is either invalid "
                                                    "or the certificate has been deleted"}])
    p = _vg(env, "hostname", "enable", "app.example.com", *leaf.args())
    assert p.returncode == 4, p.stderr
    assert "API error 1415" in p.stderr


def test_valgrind_check_origin_guard_and_probe(env, pki, tmp_path):
    leaf = pki.leaf()
    doc = tmp_path / "policy.json"
    doc.write_text(json.dumps({
        "format": "cfaop-policy/1", "open": [], "certificates": {},
        "vhosts": [{"name": "www.example.com", "aliases": ["*.example.com"], "mode": "enforce",
                    "zone": {"policy": 1}, "hostnames": {}}],
        "policies": {"1": {"anchors": [{"sha256": "0" * 64, "source": "cloudflare"}],
                           "pins": [{"type": "sha256", "value": leaf.sha256_hex}]}}}))
    with env.cf.app.lock:
        env.cf.app.zones[env.zone_id].aop_enabled = True
    # Trusting only Cloudflare's CA, the origin refuses the new certificate
    # (the guard runs what check-origin runs).
    p = _vg(env, "--json", "zone", "rotate", *leaf.args(), "--origin-policy", str(doc))
    assert p.returncode == 1 and "refusing" in p.stderr, p.stderr
    p = _vg(env, "--json", "probe", "www.example.com", "--origin", "127.0.0.1:1", *leaf.args())
    assert p.returncode == 1 and "could not be probed" in p.stderr, p.stderr


def test_valgrind_checks_before_upload(env, pki, tmp_path):
    """The chain built to a trust store, an algorithm OpenSSL cannot name, a refusal."""
    leaf = pki.leaf()
    store = tmp_path / "store.pem"
    store.write_text(pki.client_ca.cert_pem)
    mldsa = tmp_path / "mldsa.pem"
    mldsa.write_bytes(mldsa_certificate(leaf.cert).public_bytes(serialization.Encoding.PEM))
    p = _vg(env, "--json", "hostname", "enable", "app.example.com", *leaf.args(),
            extra_env={"SSL_CERT_FILE": str(store)})
    assert p.returncode == 0 and "public CA" in p.stderr, p.stderr
    p = _vg(env, "zone", "upload", "--cert", str(mldsa), "--key", leaf.key_path)
    assert p.returncode == 0 and "ML-DSA-44" in p.stderr, p.stderr
    p = _vg(env, "zone", "upload", *pki.leaf(eku=ExtendedKeyUsageOID.SERVER_AUTH).args())
    assert p.returncode == 1 and "clientAuth" in p.stderr, p.stderr
