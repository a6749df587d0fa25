"""The test command passes from a checkout anywhere, also one only its owner can
enter (a fresh machine may hold it in /root, mode 700, and run as root, while
Apache's children and `apache2 -t` in some tests run as www-data)."""
import os
import shutil
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_integration_tests_pass_from_a_private_checkout(tmp_path):
    """A copy of the built checkout inside a mode-700 directory passes the tests that
    start apache2 as another user (configtest as www-data) and a real server."""
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, 0o700)
    copy = home / "project"
    shutil.copytree(REPO, copy, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", "reports", "__pycache__",
                                                  "autom4te.cache"))
    assert os.stat(home).st_mode & 0o777 == 0o700
    tests = ["tests/integration/test_configtest.py", "tests/integration/test_setups.py"]
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                       cwd=copy, capture_output=True, text=True, timeout=600)
    tail = (r.stdout + r.stderr)[-4000:]
    assert r.returncode == 0 and " passed" in r.stdout and "failed" not in r.stdout, tail
