"""CFAOPRemoteIPHeader and CFAOPEdgeHeaders, seen from the application (a CGI).

Only a request whose certificate passed the policy may set the client
address from CF-Connecting-IP or carry Cloudflare's headers; on every other
request (no certificate, a refused one, report mode that would refuse, 421,
a vhost without the engine) they are gone before any handler runs. The CGI
also answers the ErrorDocument of refused requests, so it sees what a
handler would see there too. Next to mod_remoteip in both load orders.
"""
import os
import re
import uuid

import pytest

from harness.conf import Site
from harness.server import ErrorLog

CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
printf 'REMOTE_ADDR=%s\\n' "$REMOTE_ADDR"
env | grep -i '^HTTP_CF' | sort
"""
EDGE = ["CFAOPRemoteIPHeader CF-Connecting-IP",
        "CFAOPEdgeHeaders CF-IPCountry Cf-Access-Jwt-Assertion CF-Visitor"]
CGI_DIR = ["<Directory @DOCROOT@>", "  Options +ExecCGI", "  AddHandler cgi-script .cgi",
           "</Directory>", "ErrorDocument 403 /env.cgi", "ErrorDocument 421 /env.cgi",
           "<Location /ipgate>", "  Require ip 203.0.113.7 2001:db8::7", "</Location>"]
CF_HEADERS = ["CF-Connecting-IP: 203.0.113.7", "CF-IPCountry: NL", "cf-ipcountry: XX",
              "CF-Visitor: {\"scheme\":\"https\"}", "Cf-Access-Jwt-Assertion: eyJ.x.y"]


def sites(pki):
    zone = f"CFAOPCACertificateFile {pki.zone_ca.cert_path}"
    return [
        Site("noe.test", EDGE + CGI_DIR, protected=False),
        Site("ip.test", ["CFAOPEngine on", zone,
                         f"CFAOPHostnameCACertificateFile h.ip.test {pki.host_ca.cert_path}"]
             + EDGE + CGI_DIR, aliases=["h.ip.test"], protected=False),
        Site("rip.test", ["CFAOPEngine on", zone, "CFAOPMode report"] + EDGE + CGI_DIR,
             protected=False),
    ]


def make(server_factory, pki, name, **modules):
    env = server_factory(name, sites(pki), start=False, **modules)
    root = env.server.root
    lines = ["StartServers 1", "ServerLimit 1", "ThreadsPerChild 16", "MaxRequestWorkers 16",
             "MinSpareThreads 1", "MaxSpareThreads 16", f"ScriptSock {root}/logs/cgisock",
             f'CustomLog {root}/logs/addr.log "%a %v %>s %U%<q"',
             "RemoteIPHeader X-Forwarded-For", "RemoteIPInternalProxy 127.0.0.1"]
    env.server.install(env.server.sites, lines)
    for site in env.server.sites:
        path = os.path.join(root, "htdocs", site.name, "env.cgi")
        with open(path, "w") as f:
            f.write(CGI)
        os.chmod(path, 0o755)
    env.server.start()
    return env


@pytest.fixture(scope="module", params=["remoteip-first", "remoteip-last"])
def edge(request, server_factory, pki):
    order = ({"modules_before": ["cgid", "remoteip"]} if request.param == "remoteip-first"
             else {"modules_after": ["cgid", "remoteip"]})
    env = make(server_factory, pki, f"edge-{request.param}", **order)
    yield env
    env.stop()


def app_view(resp):
    """What the CGI saw: REMOTE_ADDR and the HTTP_CF_* variables."""
    out = {}
    for line in resp.body.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def cf_vars(view):
    return {k: v for k, v in view.items() if k.upper().startswith("HTTP_CF")}


def tagged(path):
    """path with a query no other request has, to find its access log line by."""
    return f"{path}?t={uuid.uuid4().hex}"


def logged_line(env, path):
    """The access log line of the request for a tagged path: written after the response."""
    log = ErrorLog(os.path.join(env.server.root, "logs", "addr.log"))
    lines = log.wait_for(re.escape(path) + "$")
    return lines[0] if lines else ""


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_passed_request_takes_the_address_and_keeps_the_edge_headers(edge, tls):
    path = tagged("/env.cgi")
    r = edge.client.curl("ip.test", path=path, cert=edge.pki.zone_leaf, tls=tls,
                         headers=CF_HEADERS)
    view = app_view(r)
    assert r.status == 200 and view["REMOTE_ADDR"] == "203.0.113.7", r
    assert cf_vars(view)["HTTP_CF_CONNECTING_IP"] == "203.0.113.7"
    assert cf_vars(view)["HTTP_CF_VISITOR"] == '{"scheme":"https"}'
    assert "HTTP_CF_IPCOUNTRY" in cf_vars(view)
    line = logged_line(edge, path)
    assert line == f"203.0.113.7 ip.test 200 {path}", line
    # Require ip follows it too; and the hostname scope is a pass like the zone's.
    gate = edge.client.curl("ip.test", path="/ipgate", cert=edge.pki.zone_leaf, tls=tls,
                            headers=CF_HEADERS)
    assert gate.status == 404, gate  # allowed through, and there is no such file
    r = edge.client.curl("h.ip.test", path="/env.cgi", cert=edge.pki.host_leaf, tls=tls,
                         headers=["CF-Connecting-IP: 2001:db8::7"])
    assert app_view(r)["REMOTE_ADDR"] == "2001:db8::7", r
    gate = edge.client.curl("h.ip.test", path="/ipgate", cert=edge.pki.host_leaf, tls=tls,
                            headers=["CF-Connecting-IP: 2001:db8::7"])
    assert gate.status == 404, gate


# (hostname, certificate name or None, http2, expected status)
NOT_PASSED = [
    ("ip.test", None, False, 403),
    ("ip.test", "foreign_leaf", False, 403),
    ("ip.test", "foreign_leaf", True, 403),
    ("h.ip.test", "zone_leaf", False, 403),     # hostname policy refuses the zone's certificate
    ("rip.test", "foreign_leaf", False, 200),   # report mode: served, but not passed
    ("rip.test", None, True, 200),
    ("noe.test", "zone_leaf", False, 200),      # no engine: nothing ever passed
]


@pytest.mark.log_allows(r"AH01630: ")
@pytest.mark.parametrize("host,cert,http2,status", NOT_PASSED)
def test_request_that_did_not_pass_loses_the_headers(edge, host, cert, http2, status):
    leaf = edge.pki.certs[cert] if cert else None
    path = tagged("/env.cgi")
    r = edge.client.curl(host, path=path, cert=leaf, http2=http2, headers=CF_HEADERS)
    view = app_view(r)
    assert r.status == status, r
    assert view["REMOTE_ADDR"] == "127.0.0.1", r
    assert cf_vars(view) == {}, view
    line = logged_line(edge, path)
    assert line.startswith("127.0.0.1 ") and line.endswith(path), line
    if status == 200:
        gate = edge.client.curl(host, path="/ipgate", cert=leaf, http2=http2,
                                headers=CF_HEADERS)
        assert gate.status == 403, gate


@pytest.mark.log_allows(r"AH01630: ")
def test_misdirected_request_loses_the_headers(edge):
    """421 (SNI of another vhost): the ErrorDocument CGI sees none of them."""
    r = edge.client.curl("noe.test", host="ip.test", path="/env.cgi", cert=edge.pki.zone_leaf,
                         headers=CF_HEADERS)
    assert r.status == 421, r
    assert app_view(r)["REMOTE_ADDR"] == "127.0.0.1" and cf_vars(app_view(r)) == {}, r


def test_next_to_mod_remoteip(edge):
    """mod_remoteip takes X-Forwarded-For from a trusted proxy; CF-Connecting-IP from a
    verified edge has the last word, in either load order."""
    headers = CF_HEADERS + ["X-Forwarded-For: 198.51.100.9"]
    r = edge.client.curl("ip.test", path="/env.cgi", cert=edge.pki.zone_leaf, headers=headers)
    assert app_view(r)["REMOTE_ADDR"] == "203.0.113.7", r
    r = edge.client.curl("rip.test", path="/env.cgi", cert=edge.pki.foreign_leaf,
                         headers=headers)
    assert app_view(r)["REMOTE_ADDR"] == "198.51.100.9", r
    assert cf_vars(app_view(r)) == {}, r


@pytest.mark.log_allows(r"CFAOP00020: ")
def test_malformed_address_is_ignored_and_logged_once(edge):
    mark = edge.server.log.mark()
    for value in (["CF-Connecting-IP: not-an-ip"],
                  ["CF-Connecting-IP: 203.0.113.7, 198.51.100.1"],
                  ["CF-Connecting-IP: 203.0.113.7", "CF-Connecting-IP: 198.51.100.1"],
                  ["CF-Connecting-IP: 203.0.113.300"]):
        r = edge.client.curl("ip.test", path="/env.cgi", cert=edge.pki.zone_leaf,
                             headers=value)
        assert r.status == 200 and app_view(r)["REMOTE_ADDR"] == "127.0.0.1", (value, r)
    lines = [l for l in edge.server.log.lines(mark) if "CFAOP00020" in l]
    assert len(lines) <= 1 and all("ignored" in l for l in lines), lines
    # Once per process and vhost: the first of these runs logs it, later ones not.
    all_lines = [l for l in edge.server.log.lines(0) if "CFAOP00020" in l]
    assert len(all_lines) == 1 and "not-an-ip" in all_lines[0], all_lines
