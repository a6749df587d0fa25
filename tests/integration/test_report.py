"""Report mode (report.test, zone CA): never rejects, sets the variables, logs what it would reject.

Also the consumers of the variables: SetEnvIfExpr + Require env, mod_rewrite, LogFormat.
"""
import time

import pytest

from harness.client import assert_rejection_logged


def served_report_page(main, r):
    assert r.status == 200 and main.site("report.test").marker in r.body, r


def test_report_mode_valid_certificate(main):
    """A valid certificate: SUCCESS and no would-reject log line."""
    main.assert_served(main.client.curl("report.test", cert=main.pki.zone_leaf), "report.test")


@pytest.mark.parametrize("http2", [False, True], ids=["http1.1", "h2"])
@pytest.mark.parametrize("cert,verify,reason", [
    (None, "NONE", "no-certificate"),
    ("foreign_leaf", "FAILED", "untrusted"),
    ("expired", "FAILED", "expired"),
    ("not_yet_valid", "FAILED", "not-yet-valid"),
])
def test_report_mode_serves_failures_and_logs_them(main, cert, verify, reason, http2):
    """A failing client is served (200 with the page) with the variables set and one "would reject" line."""
    leaf = main.pki.certs[cert] if cert else None
    r = main.client.curl("report.test", cert=leaf, http2=http2)
    served_report_page(main, r)
    assert (r.var("CFAOP_VERIFY"), r.var("CFAOP_VERIFY_ERROR")) == (verify, reason), r
    # One line although "/" also makes a DirectoryIndex subrequest: subrequests are not judged.
    assert_rejection_logged(main.server, r, reason=reason, leaf=leaf, vhost="report.test",
                            hostname="report.test", report=True)


def test_report_mode_misdirected_is_served(main):
    """SNI open.test + Host report.test: served in report mode, flagged misdirected."""
    r = main.client.curl("open.test", host="report.test", cert=main.pki.zone_leaf)
    served_report_page(main, r)
    assert (r.var("CFAOP_VERIFY"), r.var("CFAOP_VERIFY_ERROR")) == ("NONE", "misdirected"), r
    assert_rejection_logged(main.server, r, reason="misdirected", leaf=None, vhost="report.test",
                            hostname="report.test", report=True)


# -- consumers -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/gate.html", "/rw"])
def test_consumers_let_valid_certificate_through(main, path):
    """Require env (via SetEnvIfExpr) and a mod_rewrite condition on CFAOP_VERIFY pass SUCCESS."""
    r = main.client.curl("report.test", path=path, cert=main.pki.zone_leaf)
    assert r.status == 200 and main.site("report.test").marker in r.body, r


@pytest.mark.parametrize("path", ["/gate.html", "/rw"])
@pytest.mark.parametrize("cert", ["expired", "foreign_leaf", None])
@pytest.mark.log_allows(r"AH01630: ")
def test_consumers_block_failures(main, path, cert):
    """The same consumers refuse a failing certificate in report mode, even with a forged CFAOP_VERIFY header."""
    leaf = main.pki.certs[cert] if cert else None
    r = main.client.curl("report.test", path=path, cert=leaf, headers=["CFAOP_VERIFY: SUCCESS"])
    assert r.status == 403 and main.site("report.test").marker not in r.body, r
    assert r.var("CFAOP_VERIFY") in ("FAILED", "NONE"), r


def test_logformat_consumer(main):
    """LogFormat "%{CFAOP_VERIFY}e %{CFAOP_VERIFY_ERROR}e %{CFAOP_SCOPE}e" records the decision."""
    c, p = main.client, main.pki
    bad = c.curl("report.test", path="/index.html", cert=p.expired)
    good = c.curl("app.zone.test", path="/index.html", cert=p.host_leaf)
    expected = {bad.client_port: "report.test FAILED expired zone 200 /index.html",
                good.client_port: "zone.test SUCCESS - hostname 200 /index.html"}
    found = {}
    deadline = time.time() + 5  # the access log is written after the response
    while len(found) < 2 and time.time() < deadline:
        for line in open(main.server.access_log):
            port, _, rest = line.strip().partition(" ")
            if int(port) in expected:
                found[int(port)] = rest
        time.sleep(0.05)
    assert found == expected
