"""Checks before an upload (SPEC 5.4), besides the basic ones of test_zone.py.

An extendedKeyUsage without clientAuth is refused, before any request; a leaf
that a CA of the system's trust store issued is warned about (the trust store
is the test's own, through SSL_CERT_FILE / SSL_CERT_DIR, which OpenSSL's
default paths honour); an algorithm this OpenSSL cannot verify (ML-DSA before
OpenSSL 3.5) is warned about with the version that can.
"""
import json
import re

from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from lib.pki import mldsa_certificate, name

HOST = "app.example.com"


def upload_commands(leaf_args):
    """Every command that uploads a certificate, with LEAF_ARGS as --cert/--key."""
    return [
        ("zone", "upload", *leaf_args),
        ("zone", "rotate", *leaf_args),
        ("hostname", "upload", *leaf_args),
        ("hostname", "enable", HOST, *leaf_args),
        ("hostname", "rotate", HOST, *leaf_args),
    ]


def warnings_of(p):
    return [line for line in p.stderr.splitlines() if line.startswith("warning: ")]


def test_eku_without_client_auth_is_refused_before_any_request(env, pki):
    server_only = pki.leaf(eku=ExtendedKeyUsageOID.SERVER_AUTH)
    for args in upload_commands(server_only.args()):
        p = env.run(*args)
        assert p.returncode == 1, (args, p.stderr)
        assert "extended key usage without clientAuth" in p.stderr, (args, p.stderr)
        assert "TLS client-certificate chain check" in p.stderr, (args, p.stderr)
    assert env.requests() == []
    # probe uploads nothing: the origin it pulls from is the judge there.
    p = env.run("probe", "www.example.com", "--origin", "127.0.0.1:1", *server_only.args())
    assert "clientAuth" not in p.stderr and env.requests("GET"), p.stderr
    # clientAuth among others, or no extendedKeyUsage at all, is fine.
    both = pki.leaf(eku=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])
    for leaf in (both, pki.leaf(eku=None)):
        p = env.run("zone", "upload", *leaf.args())
        assert p.returncode == 0 and "clientAuth" not in p.stderr, p.stderr
    assert len(env.zone_certs()) == 2


def trust_store(tmp_path, *cas):
    """Environment that makes OpenSSL's default trust store hold only CAS."""
    store = tmp_path / "store.pem"
    store.write_text("".join(ca.cert_pem for ca in cas))
    empty = tmp_path / "store.d"
    empty.mkdir(exist_ok=True)
    return {"SSL_CERT_FILE": str(store), "SSL_CERT_DIR": str(empty)}


def test_issuer_in_the_system_trust_store_is_warned_about(env, pki, tmp_path):
    leaf = pki.leaf()
    public = trust_store(tmp_path, pki.client_ca)
    for args in upload_commands(leaf.args()):
        p = env.run("--dry-run", *args, env=public)
        assert p.returncode == 0, (args, p.stderr)
        warned = [w for w in warnings_of(p) if "public CA" in w]
        assert len(warned) == 1, (args, p.stderr)
        assert "stopped issuing client-authentication certificates in 2026" in warned[0]
        assert "cfaop test client CA" in warned[0], warned
    # In --json too.
    p = env.run("--json", "zone", "upload", *leaf.args(), env=public)
    assert p.returncode == 0, p.stderr
    assert any("public CA" in w for w in json.loads(p.stdout)["warnings"])
    # Another CA in the store, or the system's own store: the test's CA is in
    # neither, and nothing is said.
    other = pki.issue("other_ca", name("Some Other CA"), ca=True)
    for store in (trust_store(tmp_path, other), None):
        p = env.run("--dry-run", "zone", "upload", *leaf.args(), env=store)
        assert p.returncode == 0, p.stderr
        assert not [w for w in warnings_of(p) if "public CA" in w], p.stderr


def test_chain_to_the_trust_store_through_an_intermediate(env, pki, tmp_path):
    root = pki.issue("pub_root", name("Public Root"), ca=True)
    inter = pki.issue("pub_inter", name("Public Issuing CA"), root, ca=True)
    leaf = pki.leaf(issuer=inter)
    public = trust_store(tmp_path, root)
    # The file carries the intermediate: the chain reaches the store's root.
    p = env.run("--dry-run", "zone", "upload", "--cert", leaf.chain_path, "--key",
                leaf.key_path, env=public)
    assert p.returncode == 0, p.stderr
    assert [w for w in warnings_of(p) if "public CA" in w and "Public Issuing CA" in w], p.stderr
    # The leaf alone names an issuer the store does not hold.
    p = env.run("--dry-run", "zone", "upload", *leaf.args(), env=public)
    assert not [w for w in warnings_of(p) if "public CA" in w], p.stderr


def openssl_version(env):
    """OpenSSL_version() of the cfaop binary, as --version prints it."""
    p = env.run("--version", zone=False, api=False)
    m = re.search(r"(OpenSSL (\d+)\.(\d+)\.\d+[^)]*)\)", p.stdout)
    assert m, p.stdout
    return m.group(1), (int(m.group(2)), int(m.group(3)))


def test_ml_dsa_signature_is_warned_about_with_the_openssl_that_can(env, pki, tmp_path):
    leaf = pki.leaf()
    mldsa = tmp_path / "mldsa.pem"
    mldsa.write_bytes(mldsa_certificate(leaf.cert).public_bytes(serialization.Encoding.PEM))
    installed, version = openssl_version(env)
    for kind in ("zone", "hostname"):
        p = env.run(kind, "upload", "--cert", str(mldsa), "--key", leaf.key_path)
        assert p.returncode == 0, p.stderr  # a warning, not a refusal
        warned = [w for w in warnings_of(p) if "ML-DSA-44" in w]
        if version >= (3, 5):
            assert warned == [], p.stderr  # this OpenSSL verifies it
            continue
        assert len(warned) == 1, p.stderr
        assert "OpenSSL 3.5 or later" in warned[0] and installed in warned[0], warned
        assert "unsupported-algorithm" in warned[0], warned
    # The same key with a signature OpenSSL knows: no such warning.
    p = env.run("--dry-run", "zone", "upload", *leaf.args())
    assert p.returncode == 0 and "cannot verify" not in p.stderr, p.stderr
