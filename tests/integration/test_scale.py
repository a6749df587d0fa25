"""Scale: 1,000 TLS virtual hosts naming one CA file hold one copy of it.

The parent's resident memory with mod_cfaop on every vhost is compared with
the same 1,000 vhosts without it. One parsed copy of the 200-CA bundle is
about a megabyte; a copy per vhost would be a gigabyte, and even a per-vhost
list of the CA names (as an SSL_CTX's client CA list holds) some 20 MB. The
same figures for 10,000 vhosts, and their timings, are in scripts/bench.py.
"""
import datetime
import os
import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from harness.conf import Site
from harness.settings import MEMORY_MEASURED
from harness.pki import _name

VHOSTS = 1_000
BUNDLE_CAS = 200
MAX_EXTRA_RSS_KB = 6 * 1024
START_TIMEOUT = 120  # two configuration passes over 1,000 SSL_CTX


def parent_rss_kb(env) -> int:
    status = open(f"/proc/{env.server.pid()}/status").read()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))


def bundle(pki):
    """A PEM file of BUNDLE_CAS CA certificates, a client leaf issued by one of them,
    and a CRL of that CA which revokes another of its leaves."""
    cas = [pki.issue(f"bundle_ca{i}", _name(f"Bundle CA {i}", "Scale, Inc."), ca=True)
           for i in range(BUNDLE_CAS)]
    path = os.path.join(pki.dir, "bundle.pem")
    with open(path, "w") as out:
        for ca in cas:
            out.write(open(ca.cert_path).read())
    os.chmod(path, 0o644)
    issuer = cas[BUNDLE_CAS // 2]
    leaf = pki.issue("bundle_leaf", _name("scale leaf", "Scale, Inc."), issuer)
    revoked = pki.issue("bundle_revoked", _name("scale revoked", "Scale, Inc."), issuer,
                        attack=True)
    now = datetime.datetime.utcnow()
    crl = (x509.CertificateRevocationListBuilder().issuer_name(issuer.cert.subject)
           .last_update(now - datetime.timedelta(days=1))
           .next_update(now + datetime.timedelta(days=7))
           .add_revoked_certificate(x509.RevokedCertificateBuilder()
                                    .serial_number(revoked.cert.serial_number)
                                    .revocation_date(now).build())
           .sign(issuer.key, hashes.SHA256()))
    crl_path = os.path.join(pki.dir, "bundle.crl")
    with open(crl_path, "wb") as f:
        f.write(crl.public_bytes(serialization.Encoding.PEM))
    os.chmod(crl_path, 0o644)
    return path, leaf, revoked, crl_path


def vhosts(directives):
    """The first and the last vhost with pages of their own, the others sharing the first's."""
    return [Site(f"v{i}.scale.test", directives, protected=bool(directives),
                 docroot="" if i in (0, VHOSTS - 1) else "v0.scale.test")
            for i in range(VHOSTS)]


def test_a_thousand_vhosts_share_one_copy_of_a_ca_file(server_factory, pki):
    """1,000 enabled TLS vhosts naming one 200-CA file and one CRL: one copy each, one policy,
    < 6 MB over no mod_cfaop; the shared CRL is enforced on the last vhost."""
    path, leaf, revoked, crl = bundle(pki)
    plain = server_factory("scale-plain", vhosts([]), start_timeout=START_TIMEOUT)
    rss_plain = parent_rss_kb(plain)
    plain.stop()

    env = server_factory("scale", vhosts(["CFAOPEngine on", f"CFAOPCACertificateFile {path}",
                                          f"CFAOPCARevocationFile {crl}"]),
                         start_timeout=START_TIMEOUT)
    rss = parent_rss_kb(env)
    summary = env.log.wait_for(r"CFAOP00006: ")
    assert summary and f"{VHOSTS} of {VHOSTS + 1} virtual hosts enabled; 1 certificate " \
        "files, 1 CRL files and 1 policies loaded" in summary[-1], summary
    assert rss - rss_plain < MAX_EXTRA_RSS_KB or not MEMORY_MEASURED, (rss_plain, rss)

    # And the shared policy is the one enforced, on the last vhost as on the first.
    last = f"v{VHOSTS - 1}.scale.test"
    env.assert_served(env.client.curl(last, cert=leaf), last)
    env.assert_refused(env.client.curl(last, cert=pki.foreign_leaf), 403, "untrusted",
                       leaf=pki.foreign_leaf, vhost=last)
    env.assert_refused(env.client.curl(last, cert=revoked), 403, "revoked", leaf=revoked,
                       vhost=last)
    env.stop()
