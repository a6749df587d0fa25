"""Internal redirects keep the original decision (redir.test: ErrorDocument 403/404 and a
per-directory RewriteRule old.html -> index.html; report.test: ErrorDocument 404)."""
import pytest

from harness.client import assert_rejection_logged


def test_rewrite_internal_redirect_keeps_success(main):
    """/old.html (no such file) is rewritten to index.html: served, variables under their normal names."""
    r = main.client.curl("redir.test", path="/old.html", cert=main.pki.zone_leaf)
    main.assert_served(r, "redir.test")
    assert r.var("CFAOP_CLIENT_SHA256") == main.pki.zone_leaf.sha256_hex


@pytest.mark.parametrize("path", ["/", "/old.html"])
@pytest.mark.parametrize("cert,reason", [(None, "no-certificate"), ("expired", "expired"),
                                         ("foreign_leaf", "untrusted")])
def test_error_document_after_rejection_is_not_rejudged(main, path, cert, reason):
    """A refused request's ErrorDocument 403 is served as such (not refused again), logged once, no marker."""
    leaf = main.pki.certs[cert] if cert else None
    r = main.client.curl("redir.test", path=path, cert=leaf)
    # Re-judging the redirect would replace this body by Apache's "Additionally, a 403..." page.
    assert "ERRDOC-403 redir.test" in r.body, r
    main.assert_refused(r, 403, reason, leaf=leaf, vhost="redir.test")


def test_error_document_after_success_keeps_success(main):
    """A 404's ErrorDocument for an accepted client carries SUCCESS under the normal variable names."""
    r = main.client.curl("redir.test", path="/missing", cert=main.pki.zone_leaf)
    assert r.status == 404 and "ERRDOC-404 redir.test" in r.body, r
    assert r.var("CFAOP_VERIFY") == "SUCCESS" and r.var("CFAOP_SCOPE") == "zone", r


def test_report_mode_error_document_logged_once(main):
    """Report mode: a failing client's 404 ErrorDocument keeps FAILED and adds no second would-reject line."""
    leaf = main.pki.expired
    r = main.client.curl("report.test", path="/missing", cert=leaf)
    assert r.status == 404 and "ERRDOC-404 report.test" in r.body, r
    assert (r.var("CFAOP_VERIFY"), r.var("CFAOP_VERIFY_ERROR")) == ("FAILED", "expired"), r
    assert_rejection_logged(main.server, r, reason="expired", leaf=leaf, vhost="report.test",
                            hostname="report.test", report=True)
