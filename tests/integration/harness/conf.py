"""Complete httpd.conf files for the httpd that apxs names (Debian's apache2, or a source
build: no envvars, no apachectl)."""
import os
from dataclasses import dataclass
from typing import Optional, Sequence

from .settings import APACHE_BUILTIN, APACHE_MODULE_DIR
MODULES = ["authz_core", "authz_host", "mime", "dir", "headers", "setenvif",
           "socache_shmcb", "ssl", "http2", "rewrite"]
# Every config uses them (User/Group, CustomLog/LogFormat); Debian's apache2
# has them compiled in, a source build of httpd may have them as DSOs.
BASE_MODULES = [m for m in ("unixd", "log_config") if m not in APACHE_BUILTIN]

# Every variable the module sets, echoed back in a response header of the
# same name with '_' -> '-'. `Header always` also decorates error responses.
CFAOP_VARS = ["CFAOP_VERIFY", "CFAOP_VERIFY_ERROR", "CFAOP_SCOPE", "CFAOP_CLIENT_SHA256",
              "CFAOP_CLIENT_S_DN", "CFAOP_CLIENT_I_DN", "CFAOP_CLIENT_V_END"]
# Marker prefixes: a body containing PROTECTED is content of an enforcing vhost.
PROTECTED = "PROTECTED"
PUBLIC = "PUBLIC"
# Access log consumer of the variables (LogFormat "%{...}e").
ACCESS_FORMAT = "%{remote}p %v %{CFAOP_VERIFY}e %{CFAOP_VERIFY_ERROR}e %{CFAOP_SCOPE}e %>s %U"


def var_header(var: str) -> str:
    return "X-" + var.replace("_", "-")


@dataclass
class Site:
    """One <VirtualHost> with its own DocumentRoot and marker body."""
    name: str
    directives: Sequence[str] = ()
    aliases: Sequence[str] = ()
    port: str = "main"        # key into the server's ports
    ssl: bool = True
    protected: bool = True    # enforcing vhost: its marker must never leak
    docroot: str = ""         # another site's name to share its DocumentRoot

    @property
    def marker(self) -> str:
        return f"{PROTECTED if self.protected else PUBLIC}-{self.name}-MARKER"


def write_docroots(htdocs: str, sites: Sequence[Site]) -> None:
    for site in sites:
        if site.docroot:
            continue
        d = os.path.join(htdocs, site.name)
        os.makedirs(d, exist_ok=True)
        files = {
            "index.html": site.marker + "\n",
            # Behind <Location /gate.html> where a config gates on the variables.
            "gate.html": site.marker + " gate\n",
            # ErrorDocument targets: their bodies say which page was served.
            "err403.html": f"ERRDOC-403 {site.name}\n",
            "err404.html": f"ERRDOC-404 {site.name}\n",
        }
        for fname, text in files.items():
            path = os.path.join(d, fname)
            # Never rewrite a page in place: a server under load may be
            # serving it (mmap'ed: truncating it is a SIGBUS in the child).
            if os.path.exists(path) and open(path).read() == text:
                continue
            with open(path + ".tmp", "w") as f:
                f.write(text)
            os.replace(path + ".tmp", path)
        os.chmod(d, 0o755)


def render(root: str, ports: dict, sites: Sequence[Site], *, gen: int, srv_cert,
           module_path: Optional[str], global_lines: Sequence[str] = (), mpm: str = "event",
           modules_before: Sequence[str] = (), modules_after: Sequence[str] = (),
           lean: bool = False) -> str:
    """The whole httpd.conf. modules_before/after: more of httpd's modules, loaded
    before or after mod_cfaop (load order tests). lean leaves out the response
    headers that show the tests mod_ssl's and mod_cfaop's state (X-Gen stays):
    the benchmark measures a server, not its test decoration, and logs in httpd's
    common format."""
    logs = os.path.join(root, "logs")
    out = [
        f"ServerRoot {root}",
        f"PidFile {logs}/httpd.pid",
        f"ErrorLog {logs}/error.log",
        # lean: httpd's common format, as a production server logs.
        f"CustomLog {logs}/access.log "
        + ("common" if lean else f"\"{ACCESS_FORMAT}\""),
        "LogLevel info cfaop:debug" if module_path else "LogLevel info",
        f"DefaultRuntimeDir {logs}",
        f"Mutex file:{logs}",
        "ServerName localhost",
        "TypesConfig /etc/mime.types",
    ]
    if lean:
        out.append("LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\" common")
    out += [f"LoadModule {m}_module {APACHE_MODULE_DIR}/mod_{m}.so"
            for m in BASE_MODULES + [f"mpm_{mpm}"] + MODULES + list(modules_before)]
    if module_path:  # None: httpd without mod_cfaop (the benchmark's baseline)
        out.append(f"LoadModule cfaop_module {module_path}")
    out += [f"LoadModule {m}_module {APACHE_MODULE_DIR}/mod_{m}.so" for m in modules_after]
    if os.geteuid() == 0:
        out += ["User www-data", "Group www-data"]
    out += [f"Listen 127.0.0.1:{p}" for p in sorted(ports.values())]
    out += [
        f"SSLSessionCache shmcb:{logs}/ssl_scache(512000)",
        "SSLProtocol -all +TLSv1.2 +TLSv1.3",
        "Protocols h2 http/1.1",
        # mod_ssl's own SNI/Host check is switched off, so every 421 seen by
        # the tests comes from mod_cfaop and not from mod_ssl.
        "<IfDirective SSLVHostSNIPolicy>",
        "  SSLVHostSNIPolicy insecure",
        "</IfDirective>",
        "KeepAlive On",
        "MaxKeepAliveRequests 100",
        # Which configuration generation answered (graceful restarts).
        f"Header always set X-Gen \"{gen}\"",
    ]
    if not lean:
        out += [
            # The client port ties a response to the error log's [client IP:PORT].
            "Header always set X-Client-Port \"expr=%{REMOTE_PORT}\"",
            # mod_ssl's view, to cross-check the client's "Reused" and the SNI.
            "Header always set X-SSL-Resumed \"%{SSL_SESSION_RESUMED}s\"",
            "Header always set X-SSL-SNI \"%{SSL_TLS_SNI}s\"",
            "Header always set X-SSL-Client-Verify \"%{SSL_CLIENT_VERIFY}s\"",
        ]
        out += [f"Header always set {var_header(v)} \"%{{{v}}}e\"" for v in CFAOP_VARS]
    out += [
        f"<Directory {root}/htdocs>",
        "  Require all granted",
        "</Directory>",
        "DirectoryIndex index.html",
    ]
    out += list(global_lines)
    for site in sites:
        out.append(f"<VirtualHost 127.0.0.1:{ports[site.port]}>")
        out.append(f"  ServerName {site.name}")
        if site.aliases:
            out.append("  ServerAlias " + " ".join(site.aliases))
        out.append(f"  DocumentRoot {root}/htdocs/{site.docroot or site.name}")
        if site.ssl:
            out += ["  SSLEngine on",
                    f"  SSLCertificateFile {srv_cert.cert_path}",
                    f"  SSLCertificateKeyFile {srv_cert.key_path}"]
        docroot = f"{root}/htdocs/{site.docroot or site.name}"
        out += [f"  {line}".replace("@DOCROOT@", docroot) for line in site.directives]
        out.append("</VirtualHost>")
    return "\n".join(out) + "\n"
