"""`make install` puts every piece where Debian expects it (into a DESTDIR, so
the machine is left alone): the module through apxs, mods-available/cfaop.load
for a2enmod, the cfaop tool, its man page, and Cloudflare's origin-pull CA."""
import filecmp
import os
import shutil
import subprocess
import tempfile

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def apxs_query(var: str) -> str:
    return subprocess.run(["apxs", "-q", var], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def destdir():
    d = tempfile.mkdtemp(prefix="cfaop-install-")
    r = subprocess.run(["make", "-C", REPO, "install", f"DESTDIR={d}"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    yield d
    shutil.rmtree(d, ignore_errors=True)


def installed(destdir, *parts):
    """The one installed file under DESTDIR whose path ends with `parts`."""
    tail = os.path.join(*parts)
    found = [os.path.join(root, f) for root, _, files in os.walk(destdir) for f in files
             if os.path.join(root, f).endswith(os.sep + tail)]
    assert len(found) == 1, (tail, found)
    return found[0]


def test_module_installed_where_apache_loads_modules(destdir):
    """apxs installs mod_cfaop.so into apxs's LIBEXECDIR, the same bytes as the build."""
    so = destdir + os.path.join(apxs_query("LIBEXECDIR"), "mod_cfaop.so")
    assert filecmp.cmp(so, os.path.join(REPO, "mod_cfaop", ".libs", "mod_cfaop.so"),
                       shallow=False)


def test_load_file_for_a2enmod(destdir):
    """mods-available/cfaop.load depends on ssl and loads the installed module."""
    load = destdir + os.path.join(apxs_query("SYSCONFDIR"), "mods-available", "cfaop.load")
    lines = open(load).read().splitlines()
    assert lines[0] == "# Depends: ssl"
    assert f"LoadModule cfaop_module {apxs_query('LIBEXECDIR')}/mod_cfaop.so" in lines


def test_tool_and_man_page(destdir):
    """cfaop is installed and runs; its man page renders without warnings (man cfaop)."""
    tool = installed(destdir, "bin", "cfaop")
    r = subprocess.run([tool, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and "cfaop" in r.stdout, r
    page = installed(destdir, "man1", "cfaop.1")
    r = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                       env={**os.environ, "MANWIDTH": "80"})
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    for section in ("NAME", "SYNOPSIS", "COMMANDS", "EXIT STATUS"):
        assert section in r.stdout


def test_cloudflare_ca_installed(destdir):
    """The shipped origin-pull CA is installed as a file, identical to data/."""
    pem = installed(destdir, "mod_cfaop", "cloudflare-origin-pull-ca.pem")
    assert filecmp.cmp(pem, os.path.join(REPO, "data", "cloudflare-origin-pull-ca.pem"),
                       shallow=False)
