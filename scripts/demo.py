#!/usr/bin/python3
"""The main job, shown: a local Apache on 127.0.0.1 with vhosts protected by
mod_cfaop, a pull with the right client certificate served and the others
refused. Run through `scripts/run demo` (which installs and builds first).

It reuses the integration suite's harness (throwaway PKI, complete httpd
config, the real apache2 binary, curl) and exits 1 if any pull does not end
as shown, so the demo cannot print a success it did not see.
"""
import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from harness.client import Client  # noqa: E402
from harness.conf import Site  # noqa: E402
from harness.standalone import throwaway_apache  # noqa: E402

HOSTS = ["origin.test", "www.example.test", "shop.example.test", "cf.example.test"]


def sites(pki):
    return [
        # The first vhost of the port answers connections without (matching) SNI.
        Site("origin.test", protected=False),
        # Cloudflare's setup 2 (zone certificate, trusted by its CA) with
        # setup 3 for one hostname (per-hostname pin, takes precedence).
        Site("www.example.test", [
            "CFAOPEngine on",
            f"CFAOPCACertificateFile {pki.zone_ca.cert_path}",
            f"CFAOPHostnamePin shop.example.test {pki.host_leaf.cert_path}",
        ], aliases=["shop.example.test"]),
        # Setup 1 with a stand-in for Cloudflare's origin-pull CA (its key is
        # Cloudflare's; in production this vhost needs only CFAOPEngine on).
        Site("cf.example.test", ["CFAOPEngine on",
                                 f"CFAOPCACertificateFile {pki.cf_ca.cert_path}"]),
    ]


def pulls(pki):
    """(who, SNI, Host, certificate, HTTP/2, expected status)."""
    return [
        ("Cloudflare with the zone certificate", "www.example.test", None, pki.zone_leaf, False, 200),
        ("the same over HTTP/2", "www.example.test", None, pki.zone_leaf, True, 200),
        ("Cloudflare with the hostname certificate", "shop.example.test", None, pki.host_leaf, False, 200),
        ("zone certificate on the pinned hostname", "shop.example.test", None, pki.zone_leaf, False, 403),
        ("Cloudflare's shared certificate (stand-in)", "cf.example.test", None, pki.cf_leaf, False, 200),
        ("a scanner without certificate", "www.example.test", None, None, False, 403),
        ("another CA's certificate", "www.example.test", None, pki.foreign_leaf, False, 403),
        ("a copy of the zone leaf's subject", "www.example.test", None, pki.subject_copy, False, 403),
        ("a fake CA with the zone CA's name", "www.example.test", None, pki.fake_zone_leaf, False, 403),
        ("an expired zone certificate", "www.example.test", None, pki.expired, False, 403),
        ("SNI of the open vhost, Host of the protected", "origin.test", "www.example.test", None, False, 421),
        ("Cloudflare's shared certificate on the zone", "www.example.test", None, pki.cf_leaf, False, 403),
    ]


def main() -> int:
    failures = 0
    with throwaway_apache("demo", HOSTS, sites) as (server, pki):
        client = Client(server, pki)
        print(f"Apache with mod_cfaop on https://127.0.0.1:{server.ports['main']}/ "
              f"(config: {server.conf_path})\n")
        for site in server.sites:
            print(f"  <VirtualHost> {site.name}" + "".join(f"\n      {d}" for d in site.directives))
        print(f"\n{'pull':46} {'to':20} {'status':>6}  {'CFAOP_VERIFY':12} reason")
        for who, sni, host, cert, h2, want in pulls(pki):
            resp = client.curl(sni, host=host, cert=cert, http2=h2)
            target = host or sni
            served = any(site.marker in resp.body for site in server.sites)
            ok = resp.status == want and served == (want == 200)
            failures += not ok
            print(f"{who:46} {target:20} {resp.status or 'none':>6}  "
                  f"{resp.var('CFAOP_VERIFY') or '-':12} {resp.var('CFAOP_VERIFY_ERROR') or ''}"
                  f"{'' if ok else '   <-- expected %d' % want}")
        print("\nmod_cfaop's log lines for the refusals (LogLevel info):")
        for line in server.log.lines():
            if "CFAOP00016:" in line:
                print("  " + line.split("CFAOP00016: ", 1)[1])
    print("\n" + ("every pull ended as expected" if not failures
                  else f"{failures} pull(s) did not end as expected"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
