"""Running the cfaop binary against the fake Cloudflare API (tests/tool/fakecf).

Shared by the tool suite and the suites that put the tool next to a real
Apache. The token travels in the environment, never in argv, and every run
is checked for it in the output.
"""
import os
import secrets
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CFAOP_BIN = os.environ.get("CFAOP_BIN") or os.path.join(REPO, "cfaop")

ZONE_NAME = "example.com"
# Tunables that keep the suites fast; documented in cfaop(1).
FAST_ENV = {
    "CFAOP_POLL_INTERVAL": "0.05",
    "CFAOP_RETRY_BASE": "0.05",
}
# Variables of the caller's environment that would change what cfaop does.
SCRUBBED = ("CLOUDFLARE_API_TOKEN", "CF_API_TOKEN", "CLOUDFLARE_API_KEY", "CF_API_KEY",
            "CLOUDFLARE_EMAIL", "CF_API_EMAIL", "CLOUDFLARE_BASE_URL", "CFAOP_ZONE",
            "CLOUDFLARE_ACCOUNT_ID", "CFAOP_RATE_LIMIT", "CFAOP_RETRIES", "CFAOP_STATE_DIR",
            "CFAOP_ORIGIN_POLICY", "XDG_STATE_HOME")


class Env:
    """The fake, its zone and token, and a runner for cfaop."""

    def __init__(self, cf, binary, workdir, zone_name=ZONE_NAME, cacert=None):
        self.cf = cf
        self.bin = binary
        self.dir = str(workdir)
        self.token = "tok" + secrets.token_hex(16)
        # Locks and rotation journals of this test only.
        self.state_dir = os.path.join(self.dir, "state")
        self.zone_name = zone_name
        self.zone_id = cf.add_zone(zone_name)
        # --cacert: the fake's CA, or a bundle that also holds an origin's.
        self.cacert = cacert or cf.ca_file
        cf.add_token(self.token)
        cf.set_activation(gets=1)

    def base_env(self, token=True, extra=None):
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env.update(FAST_ENV)
        env["CFAOP_STATE_DIR"] = self.state_dir
        if token:
            env["CLOUDFLARE_API_TOKEN"] = self.token
        env.update(extra or {})
        return env

    def argv(self, *args, zone=True, api=True):
        argv = [self.bin]
        if api:
            argv += ["--api-base", self.cf.base_url, "--cacert", self.cacert]
        if zone:
            argv += ["-z", self.zone_name if zone is True else zone]
        return argv + list(args)

    def start(self, *args, env=None, **kw):
        """Start cfaop ARGS in the background; returns the Popen."""
        return subprocess.Popen(self.argv(*args, **kw), env=self.base_env(True, env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, *args, zone=True, api=True, token=True, env=None, stdin=None, timeout=120):
        """Run cfaop ARGS; returns the CompletedProcess (text mode)."""
        argv = self.argv(*args, zone=zone, api=api)
        p = subprocess.run(argv, env=self.base_env(token, env), input=stdin, capture_output=True,
                           text=True, timeout=timeout)
        # Never a crash, whatever the API did.
        assert p.returncode >= 0, "cfaop died of signal %d: %s" % (-p.returncode, p.stderr)
        assert self.token not in p.stdout and self.token not in p.stderr, "token leaked in output"
        p.argv = argv
        return p

    def requests(self, method=None, path_contains=None):
        out = self.cf.requests()
        if method:
            out = [r for r in out if r["method"] == method]
        if path_contains:
            out = [r for r in out if path_contains in r["path"]]
        return out

    def mutating(self):
        return [r for r in self.cf.requests() if r["method"] != "GET"]

    def zone_certs(self):
        return self.cf.state()["zone_certs"]

    def hostname_certs(self):
        return self.cf.state()["hostname_certs"]

    def associations(self):
        return self.cf.state()["associations"]
