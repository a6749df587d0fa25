"""Control of one Apache instance: its server root, config, ports and error log."""
import http.client
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from typing import List, Optional, Sequence

from . import conf
from .settings import APACHE_BIN, APACHE_ENV


def free_port() -> int:
    """A port that was free a moment ago (other test runs share the machine)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: Sequence[str], timeout=60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, **kw)


class ErrorLog:
    """Reads the error log from an offset, so each test sees only its own lines."""

    def __init__(self, path: str):
        self.path = path

    def mark(self) -> int:
        return os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def lines(self, since: int = 0) -> List[str]:
        if not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as f:
            f.seek(since)
            return f.read().decode("utf-8", "replace").splitlines()

    def client_lines(self, port: int, since: int = 0) -> List[str]:
        """Lines logged for the TLS connection from 127.0.0.1:port (HTTP/2 streams included)."""
        # HTTP/2 stream lines say [remote ...] instead of [client ...].
        tags = (f"[client 127.0.0.1:{port}]", f"[remote 127.0.0.1:{port}]")
        return [l for l in self.lines(since) if any(t in l for t in tags)]

    def wait_for(self, pattern: str, since: int = 0, timeout: float = 10.0) -> List[str]:
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while True:
            found = [l for l in self.lines(since) if rx.search(l)]
            if found or time.time() > deadline:
                return found
            time.sleep(0.05)


class Apache:
    """One server root with one config at a time; started with -k start, reloaded with -k graceful."""

    def __init__(self, base_dir: str, name: str, pki, module_path: str,
                 port_names: Sequence[str] = ("main",), mpm: str = "event",
                 modules_before: Sequence[str] = (), modules_after: Sequence[str] = (),
                 lean: bool = False):
        self.root = os.path.join(base_dir, name)
        for d in ("conf", "logs", "htdocs"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        for d in (base_dir, self.root, os.path.join(self.root, "htdocs")):
            os.chmod(d, 0o755)  # the children run as www-data
        self.pki = pki
        self.module_path = module_path
        self.port_names = list(port_names)
        self.modules = dict(mpm=mpm, modules_before=list(modules_before),
                            modules_after=list(modules_after), lean=lean)
        self.ports = {n: free_port() for n in self.port_names}
        self.gen = 0
        self.sites: List[conf.Site] = []
        self.global_lines: List[str] = []
        self.started = False
        self.log = ErrorLog(os.path.join(self.root, "logs", "error.log"))
        self.access_log = os.path.join(self.root, "logs", "access.log")

    @property
    def conf_path(self) -> str:
        return os.path.join(self.root, "conf", "httpd.conf")

    @property
    def pid_path(self) -> str:
        return os.path.join(self.root, "logs", "httpd.pid")

    def site(self, name: str) -> conf.Site:
        return next(s for s in self.sites if s.name == name)

    def install(self, sites: Sequence[conf.Site], global_lines: Sequence[str] = ()) -> None:
        """Write a new config generation (takes effect on start or graceful)."""
        self.gen += 1
        self.sites = list(sites)
        self.global_lines = list(global_lines)
        self._write()

    def _write(self) -> None:
        conf.write_docroots(os.path.join(self.root, "htdocs"), self.sites)
        text = conf.render(self.root, self.ports, self.sites, gen=self.gen,
                           srv_cert=self.pki.srv, module_path=self.module_path,
                           global_lines=self.global_lines, **self.modules)
        with open(self.conf_path, "w") as f:
            f.write(text)

    def ctl(self, *args: str) -> subprocess.CompletedProcess:
        return run([APACHE_BIN, "-d", self.root, "-f", self.conf_path, *args], env=APACHE_ENV)

    def configtest(self) -> subprocess.CompletedProcess:
        return self.ctl("-t")

    def pid(self) -> Optional[int]:
        try:
            pid = int(open(self.pid_path).read().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def start(self, timeout: float = 15) -> None:
        """-k start; `timeout` covers the dry run and the real start (many vhosts take long)."""
        for attempt in range(3):
            mark = self.log.mark()
            r = run([APACHE_BIN, "-d", self.root, "-f", self.conf_path, "-k", "start"],
                    timeout=max(60, timeout), env=APACHE_ENV)
            if r.returncode == 0 and self.wait_for_gen(self.gen, timeout=timeout):
                self.started = True
                return
            self.stop()
            bind_failed = any("Address already in use" in l for l in self.log.lines(mark)) \
                or "Address already in use" in r.stderr
            if not bind_failed:
                break
            # Another process took a port between our probe and Apache's bind.
            self.ports = {n: free_port() for n in self.port_names}
            self._write()
        raise RuntimeError(f"apache2 did not start (rc={r.returncode}):\n{r.stderr}\n"
                           + "\n".join(self.log.lines(mark)[-30:]))

    def graceful(self) -> subprocess.CompletedProcess:
        """-k graceful with the installed config; on success wait until the new generation answers."""
        r = self.ctl("-k", "graceful")
        if r.returncode == 0:
            assert self.wait_for_gen(self.gen, timeout=15), \
                f"generation {self.gen} never answered after graceful"
        return r

    def stop(self) -> None:
        """SIGTERM to the parent, as `-k stop` sends after reading the whole
        configuration again; SIGKILL if it lingers."""
        pid = self.pid()
        if pid is None:
            self.started = False
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    self.started = False
                    return
                time.sleep(0.05)

    # ------------------------------------------------------------------
    def probe_gen(self) -> Optional[str]:
        """X-Gen of a fresh connection to the first vhost of the main port (no client cert)."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        first = next(s for s in self.sites if s.port == "main")
        conn = http.client.HTTPConnection("127.0.0.1", self.ports["main"], timeout=2)
        try:
            sock = socket.create_connection(("127.0.0.1", self.ports["main"]), timeout=2)
            conn.sock = ctx.wrap_socket(sock, server_hostname=first.name) if first.ssl else sock
            conn.request("GET", "/", headers={"Host": first.name, "Connection": "close"})
            return conn.getresponse().getheader("X-Gen")
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def wait_for_gen(self, gen: int, timeout: float) -> bool:
        """True once three fresh connections in a row are served by generation `gen`.

        After a graceful restart old children may still accept briefly."""
        deadline = time.time() + timeout
        streak = 0
        while time.time() < deadline:
            streak = streak + 1 if self.probe_gen() == str(gen) else 0
            if streak >= 3:
                return True
            time.sleep(0.05)
        return False

    def crashes(self, since: int = 0) -> List[str]:
        """Child crashes (segfaults, aborts) logged by the parent, and sanitizer reports."""
        return [l for l in self.log.lines(since)
                if "exit signal" in l or "AH00052" in l or "AH00060" in l
                or "AddressSanitizer" in l or "runtime error:" in l]
