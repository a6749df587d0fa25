"""apache2 -t: every configuration error names its file and line; warnings leave rc 0.

Each case is written to its own included file (conf/case-ID.conf) inside a
vhost, so the tests check that the error points at that file, not httpd.conf.
"""
import os
import subprocess

import pytest

from harness.conf import Site
from harness.settings import APACHE_BIN, APACHE_ENV

PIN = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def ct(server_factory, pki):
    env = server_factory("configtest", [Site("open.test", protected=False)], start=False)
    conf_dir = os.path.join(env.server.root, "conf")
    os.chmod(conf_dir, 0o755)  # read by apache2 -t running as www-data (unreadable-file case)

    def check(case_id, lines, as_user=None, main_lines=()):
        """Write the case into a vhost (and `main_lines` into the main server, from
        conf/main-ID.conf) and run apache2 -t; returns (result, case file)."""
        path = os.path.join(conf_dir, f"case-{case_id}.conf")
        main_path = os.path.join(conf_dir, f"main-{case_id}.conf")
        for p, text in ((path, lines), (main_path, main_lines)):
            with open(p, "w") as f:
                f.write("\n".join(text) + "\n")
            os.chmod(p, 0o644)
        env.server.install([Site("open.test", protected=False),
                            Site("zone.test", [f"Include {path}"], aliases=["app.zone.test"])],
                           [f"Include {main_path}"])
        cmd = [APACHE_BIN, "-d", env.server.root, "-f", env.server.conf_path, "-t"]
        if as_user:
            cmd = ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups"] + cmd
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                              env=APACHE_ENV), path

    env.check = check
    return env


def _files(pki, tmp):
    """Bad files for the anchor and pin cases."""
    text = os.path.join(tmp, "text.pem")
    with open(text, "w") as f:
        f.write("this is not a certificate\n")
    corrupt = os.path.join(tmp, "corrupt.pem")
    with open(corrupt, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n"
                "-----END CERTIFICATE-----\n")
    return {"text": text, "corrupt": corrupt, "dir": tmp, "leaf": pki.zone_leaf.cert_path,
            "key": pki.zone_leaf.key_path}


# (id, lines of the case file, line number of the error, directive, message fragment)
ERRORS = [
    ("missing-file", ["CFAOPEngine on", "CFAOPCACertificateFile /nonexistent/ca.pem"],
     2, "CFAOPCACertificateFile", "cannot read"),
    ("directory", ["CFAOPEngine on", "CFAOPCACertificateFile {dir}"],
     2, "CFAOPCACertificateFile", "not a regular file"),
    ("no-certificate", ["CFAOPEngine on", "", "CFAOPCACertificateFile {text}"],
     3, "CFAOPCACertificateFile", "no PEM certificate found"),
    ("key-only", ["CFAOPEngine on", "CFAOPCACertificateFile {key}"],
     2, "CFAOPCACertificateFile", "no PEM certificate found"),
    ("corrupt-block", ["CFAOPEngine on", "CFAOPCACertificateFile {corrupt}"],
     2, "CFAOPCACertificateFile", "does not parse"),
    ("non-ca-anchor", ["CFAOPEngine on", "CFAOPCACertificateFile {leaf}"],
     2, "CFAOPCACertificateFile", "not a CA certificate"),
    # Loaded as a pin first (allowed), then named as an anchor: still refused.
    ("pin-then-non-ca-anchor", ["CFAOPEngine on", "CFAOPPin {leaf}",
                                "CFAOPCACertificateFile {leaf}"],
     3, "CFAOPCACertificateFile", "not a CA certificate"),
    ("non-ca-hostname-anchor", ["CFAOPEngine on",
                                "CFAOPHostnameCACertificateFile app.zone.test {leaf}"],
     2, "CFAOPHostnameCACertificateFile", "not a CA certificate"),
    ("pin-short-hex", ["CFAOPEngine on", "CFAOPPin sha256:abcd"],
     2, "CFAOPPin", "64 hex digits"),
    ("pin-non-hex", ["CFAOPEngine on", "CFAOPPin sha256:" + "zz" * 32],
     2, "CFAOPPin", "non-hex"),
    ("pin-bad-base64", ["CFAOPEngine on", "CFAOPPin spki-sha256:" + "!" * 43 + "="],
     2, "CFAOPPin", "not valid base64"),
    ("pin-spki-length", ["CFAOPEngine on", "CFAOPPin spki-sha256:AAAA"],
     2, "CFAOPPin", "44-character"),
    ("pin-neither", ["CFAOPEngine on", "CFAOPPin /nonexistent/leaf.pem"],
     2, "CFAOPPin", "neither a pin"),
    ("pin-file-without-cert", ["CFAOPEngine on", "CFAOPPin {text}"],
     2, "CFAOPPin", "neither a pin"),
    ("hostname-pin-malformed", ["CFAOPEngine on", "CFAOPHostnamePin app.zone.test sha256:12"],
     2, "CFAOPHostnamePin", "64 hex digits"),
    ("hostname-one-arg", ["CFAOPEngine on", "CFAOPHostnamePin app.zone.test"],
     2, "CFAOPHostnamePin", "takes two arguments"),
    ("hostname-three-args", ["CFAOPEngine on",
                             "CFAOPHostnameCACertificateFile app.zone.test {leaf} {leaf}"],
     2, "CFAOPHostnameCACertificateFile", "takes two arguments"),
    ("hostname-invalid", ["CFAOPEngine on", f"CFAOPHostnamePin bad!host {PIN}"],
     2, "CFAOPHostnamePin", "is not a hostname"),
    ("hostname-with-port", ["CFAOPEngine on", f"CFAOPHostnamePin app.zone.test:443 {PIN}"],
     2, "CFAOPHostnamePin", "is not a hostname"),
    ("hostname-wildcard", ["CFAOPEngine on", f"CFAOPHostnamePin *.zone.test {PIN}"],
     2, "CFAOPHostnamePin", "wildcards"),
    ("hostname-cloudflare-anchor", ["CFAOPEngine on",
                                    "CFAOPHostnameCACertificateFile app.zone.test cloudflare"],
     2, "CFAOPHostnameCACertificateFile", "'cloudflare' anchor"),
    ("engine-value", ["CFAOPEngine yes"], 1, "CFAOPEngine", "neither 'on' nor 'off'"),
    ("mode-value", ["CFAOPEngine on", "CFAOPMode audit"], 2, "CFAOPMode",
     "neither 'enforce' nor 'report'"),
    ("in-directory", ["<Directory /tmp>", "  CFAOPEngine on", "</Directory>"],
     2, "CFAOPEngine", "not allowed"),
    ("in-location", ["<Location /x>", f"  CFAOPPin {PIN}", "</Location>"],
     2, "CFAOPPin", "not allowed"),
]


@pytest.mark.parametrize("case_id,lines,line_no,directive,fragment", ERRORS,
                         ids=[e[0] for e in ERRORS])
def test_configtest_error(ct, tmp_path, case_id, lines, line_no, directive, fragment):
    """apache2 -t fails with 'Syntax error on line N of FILE' and the directive's message."""
    files = _files(ct.pki, str(tmp_path))
    r, path = ct.check(case_id, [l.format(**files) for l in lines])
    assert r.returncode != 0, r.stderr
    out = r.stderr.splitlines()
    head = f"AH00526: Syntax error on line {line_no} of {path}:"
    idx = next((i for i, l in enumerate(out) if l.strip() == head), None)
    assert idx is not None, f"expected {head!r} in:\n{r.stderr}"
    msg = out[idx + 1]
    assert msg.startswith(directive) and fragment in msg, r.stderr


def test_configtest_error_unreadable_file(ct, tmp_path):
    """A CA file the reading user cannot read is an error with its line (as root, -t runs as www-data)."""
    secret = os.path.join(ct.server.root, "conf", "unreadable.pem")
    with open(ct.pki.zone_ca.cert_path) as src, open(secret, "w") as dst:
        dst.write(src.read())
    os.chmod(secret, 0)
    # root reads any file, so root tests this as www-data.
    r, path = ct.check("unreadable", ["CFAOPEngine on", f"CFAOPCACertificateFile {secret}"],
                       as_user="www-data" if os.geteuid() == 0 else None)
    assert r.returncode != 0
    assert f"AH00526: Syntax error on line 2 of {path}:" in r.stderr, r.stderr
    assert "CFAOPCACertificateFile" in r.stderr and "Permission denied" in r.stderr, r.stderr


def test_configtest_rejects_ssl_verify_client_in_enabled_vhost(ct):
    """SSLVerifyClient next to CFAOPEngine on fails -t (CFAOP00005) naming both directives' lines."""
    r, path = ct.check("sslverifyclient", ["CFAOPEngine on", "SSLVerifyClient require"])
    assert r.returncode != 0
    assert (f"CFAOP00005: SSLVerifyClient require (line 2 of {path}) applies to virtual host "
            f"zone.test, where CFAOPEngine is on (line 1 of {path})") in r.stderr, r.stderr


# (id, main server lines, vhost lines, offending directive or None, its line, its file)
VERIFY_CLIENT = [
    # Quoted as mod_ssl reads it: "none" is none.
    ("quoted-none", [], ["CFAOPEngine on", 'SSLVerifyClient "none"'], None),
    ("quoted-require", [], ["CFAOPEngine on", 'SSLVerifyClient "require"'], (2, "case")),
    # The vhost's own setting overrides the main server's, as in mod_ssl.
    ("main-overridden", ["SSLVerifyClient require"],
     ["CFAOPEngine on", "SSLVerifyClient none"], None),
    ("main-inherited", ["SSLVerifyClient optional"], ["CFAOPEngine on"], (1, "main")),
    ("main-after-none", ["SSLVerifyClient none", "SSLVerifyClient require"],
     ["CFAOPEngine on"], (2, "main")),
    # Per-directory settings apply whatever the server level says.
    ("main-location", ["<Location /admin>", "  SSLVerifyClient require", "</Location>"],
     ["CFAOPEngine on", "SSLVerifyClient none"], (2, "main")),
    ("vhost-directory", [], ["CFAOPEngine on", "<Location /x>", "SSLVerifyClient optional",
                             "</Location>"], (3, "case")),
    ("location-none", [], ["CFAOPEngine on", "<Location /x>", "SSLVerifyClient none",
                           "</Location>"], None),
]


@pytest.mark.parametrize("case_id,main_lines,lines,clash", VERIFY_CLIENT)
def test_configtest_judges_the_effective_ssl_verify_client(ct, case_id, main_lines, lines,
                                                           clash):
    """SSLVerifyClient is judged by the value mod_ssl will apply to the enabled vhost."""
    r, path = ct.check("vc-" + case_id, lines, main_lines=main_lines)
    if clash is None:
        assert r.returncode == 0 and "Syntax OK" in r.stderr, r.stderr
        assert "CFAOP00005" not in r.stderr, r.stderr
        return
    line, where = clash
    where = path if where == "case" else path.replace("case-vc-", "main-vc-")
    assert r.returncode != 0, r.stderr
    assert f"(line {line} of {where}) applies to virtual host zone.test" in r.stderr, r.stderr


def test_configtest_warns_about_expiring_and_expired_anchors_and_pins(ct):
    """CFAOP00001 warnings (rc 0) for an anchor expiring within 30 days, an expired anchor and an expiring pin file."""
    p = ct.pki
    r, path = ct.check("expiry", ["CFAOPEngine on",
                                  f"CFAOPCACertificateFile {p.soon_ca.cert_path}",
                                  f"CFAOPCACertificateFile {p.old_ca.cert_path}",
                                  f"CFAOPPin {p.soon_leaf.cert_path}"])
    assert r.returncode == 0 and "Syntax OK" in r.stderr, r.stderr
    warnings = [l for l in r.stderr.splitlines() if "CFAOP00001:" in l]
    expected = [(2, p.soon_ca, "expires within 30 days"), (3, p.old_ca, "has expired"),
                (4, p.soon_leaf, "expires within 30 days")]
    assert len(warnings) == len(expected), r.stderr
    for (line, cert, what), w in zip(expected, warnings):
        assert f"{cert.cert_path} (line {line} of {path})" in w and what in w, w


def test_configtest_warns_about_hostname_rule_for_unknown_name(ct):
    """CFAOP00002 (rc 0): a hostname rule for a name that is not a ServerName/ServerAlias of its vhost."""
    r, path = ct.check("stray", ["CFAOPEngine on", "", f"CFAOPHostnamePin stray.test {PIN}",
                                 f"CFAOPHostnamePin app.zone.test {PIN}"])
    assert r.returncode == 0 and "Syntax OK" in r.stderr, r.stderr
    warnings = [l for l in r.stderr.splitlines() if "CFAOP00002:" in l]
    assert len(warnings) == 1 and f"{path}:3: hostname policy for 'stray.test'" in warnings[0], \
        r.stderr


def test_configtest_valid_config_is_silent(ct):
    """Control: a valid policy passes -t without any mod_cfaop warning."""
    p = ct.pki
    r, _ = ct.check("valid", ["CFAOPEngine on", f"CFAOPCACertificateFile {p.zone_ca.cert_path}",
                              f"CFAOPPin {p.zone_leaf.cert_path}",
                              f"CFAOPHostnamePin app.zone.test spki-sha256:{p.host_leaf.spki_b64}"])
    assert r.returncode == 0 and "Syntax OK" in r.stderr, r.stderr
    assert "CFAOP" not in r.stderr, r.stderr
