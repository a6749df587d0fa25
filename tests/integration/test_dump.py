"""apache2 -t -D DUMP_CFAOP: the policy as data (format cfaop-policy/1).

The main configuration's document is compared with what the tests configured:
every enabled vhost with its file, line, aliases, mode and policies, each
policy's anchors and pins from the PKI, the open vhosts, and the certificates.
"""
import base64
import hashlib
import json
import os
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from harness.conf import Site
from harness.settings import APACHE_BIN, APACHE_ENV, CLOUDFLARE_CA


def dump(server, stdout=subprocess.PIPE):
    return subprocess.run([APACHE_BIN, "-d", server.root, "-f", server.conf_path, "-t",
                           "-D", "DUMP_CFAOP"], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=60, env=APACHE_ENV)


def vhost_lines(server):
    """ServerName -> line of its <VirtualHost> in the server's configuration."""
    lines = open(server.conf_path).read().splitlines()
    out = {}
    for i, line in enumerate(lines):
        if line.startswith("<VirtualHost"):
            out[lines[i + 1].split()[1]] = i + 1
    return out


@pytest.fixture(scope="module")
def doc(main):
    r = dump(main.server)
    assert r.returncode == 0 and "Syntax OK" in r.stderr, r.stderr
    return json.loads(r.stdout)


def policy(doc, vhost, hostname=None):
    entry = next(v for v in doc["vhosts"] if v["name"] == vhost)
    pid = entry["hostnames"][hostname]["policy"] if hostname else entry["zone"]["policy"]
    return doc["policies"][str(pid)]


def anchor_shas(pol):
    return sorted(a["sha256"] for a in pol["anchors"])


def test_document_header_and_only_json_on_stdout(main):
    """One JSON document on stdout, nothing else; the format is named."""
    r = dump(main.server)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)   # fails on anything but exactly one document
    assert d["format"] == "cfaop-policy/1" and d["source"] == "configuration"
    assert d["generator"].startswith("mod_cfaop/")
    assert "Syntax OK" in r.stderr and "Syntax OK" not in r.stdout


def test_every_enabled_vhost_with_file_line_aliases_and_mode(doc, main):
    lines = vhost_lines(main.server)
    enabled = {s.name for s in main.server.sites
               if any(d.startswith("CFAOPEngine on") for d in s.directives)}
    assert {v["name"] for v in doc["vhosts"]} == enabled
    for v in doc["vhosts"]:
        assert v["file"] == main.server.conf_path and v["line"] == lines[v["name"]], v
        site = main.site(v["name"])
        assert v["aliases"] == list(site.aliases), v
        assert v["port"] == main.server.ports[site.port], v
        assert v["addresses"] == [f"127.0.0.1:{main.server.ports[site.port]}"], v
        assert v["mode"] == ("report" if v["name"] == "report.test" else "enforce"), v


def test_open_vhosts_are_listed(doc, main):
    names = {v["name"] for v in doc["open"]}
    assert "open.test" in names and "localhost" in names
    assert not names & {v["name"] for v in doc["vhosts"]}
    main_entry = next(v for v in doc["open"] if v["main_server"])
    assert main_entry["file"] is None and main_entry["addresses"] == []


def test_policies_name_their_anchors(doc, main):
    p = main.pki
    assert anchor_shas(policy(doc, "cf.test")) == [p.cf_ca.sha256_hex]
    assert anchor_shas(policy(doc, "zone.test")) == [p.zone_ca.sha256_hex]
    assert anchor_shas(policy(doc, "zone.test", "app.zone.test")) == [p.host_ca.sha256_hex]
    # The built-in anchor, implicit and explicit, is the shipped certificate.
    cf_der = x509.load_pem_x509_certificate(open(CLOUDFLARE_CA, "rb").read()).public_bytes(
        serialization.Encoding.DER)
    cf_sha = hashlib.sha256(cf_der).hexdigest()
    builtin = policy(doc, "builtin.test")
    assert [(a["sha256"], a["source"]) for a in builtin["anchors"]] == [(cf_sha, "cloudflare")]
    assert anchor_shas(policy(doc, "cfplus.test")) == sorted([cf_sha, p.zone_ca.sha256_hex])
    a = next(a for a in policy(doc, "cf.test")["anchors"])
    assert a["source"] == p.cf_ca.cert_path and a["subject"] == p.cf_ca.subject_dn
    assert a["days_left"] >= 364 and a["not_after"].endswith("Z")


def test_policies_name_their_pins(doc, main):
    p = main.pki
    pins = policy(doc, "zone.test", "pin.zone.test")["pins"]
    assert pins == [{"type": "sha256", "value": p.host_leaf2.sha256_hex, "source": "inline"}]
    # Written with colons and in upper case: the canonical form.
    assert policy(doc, "pin-sha.test")["pins"][0]["value"] == p.zone_leaf.sha256_hex
    spki = policy(doc, "pin-spki.test")["pins"]
    assert spki == [{"type": "spki-sha256", "value": p.zone_leaf.spki_b64, "source": "inline"}]
    base64.b64decode(spki[0]["value"], validate=True)
    from_file = policy(doc, "zone.test", "both.zone.test")["pins"]
    assert len(from_file) == 1 and from_file[0]["source"] == p.zone_leaf.cert_path
    assert from_file[0]["certificate"] == from_file[0]["value"] == p.zone_leaf.sha256_hex
    assert [x["value"] for x in policy(doc, "rotate.test")["pins"]] == [
        p.zone_leaf.sha256_hex, p.zone_leaf2.sha256_hex]


def test_certificates_are_the_anchors_and_pinned_certificates(doc):
    """Every certificate a policy names is there once, as PEM whose digest is its key."""
    named = {a["sha256"] for pol in doc["policies"].values() for a in pol["anchors"]}
    named |= {pin["certificate"] for pol in doc["policies"].values() for pin in pol["pins"]
              if "certificate" in pin}
    assert set(doc["certificates"]) == named
    for sha, c in doc["certificates"].items():
        cert = x509.load_pem_x509_certificate(c["pem"].encode())
        assert hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest() == sha
        assert "PRIVATE" not in c["pem"]


def test_one_policy_per_distinct_rule(doc):
    """Vhosts with the same anchors share one policy, as the module does."""
    zone_ca_policies = {v["zone"]["policy"] for v in doc["vhosts"]
                        if v["name"] in ("zone.test", "redir.test", "report.test", "dflt.test")}
    assert len(zone_ca_policies) == 1


def test_failing_configuration_prints_nothing(server_factory):
    env = server_factory("dump-bad", [Site("zone.test", ["CFAOPEngine maybe"])], start=False)
    r = dump(env.server)
    assert r.returncode != 0 and r.stdout == "", (r.stdout, r.stderr)


def test_write_error_is_not_syntax_ok(main):
    """stdout that cannot be written: an error and exit status 1, not a cut document and 0."""
    with open("/dev/full", "w") as full:
        r = dump(main.server, stdout=full)
    assert r.returncode == 1 and "CFAOP00019" in r.stderr, r.stderr
