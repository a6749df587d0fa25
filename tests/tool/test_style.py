"""One code style, checked by a machine: tools/ must be exactly what
clang-format makes of it with the repository's .clang-format (httpd style).
Needs the Debian package clang-format (clang-format-14 on Debian 12)."""

import glob
import os
import shutil
import subprocess

from conftest import REPO


def _clang_format():
    for name in ("clang-format-14", "clang-format"):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError("clang-format is not installed (apt-get install clang-format)")


def test_tools_are_clang_formatted():
    files = sorted(glob.glob(os.path.join(REPO, "tools", "*.[ch]")))
    assert files and os.path.isfile(os.path.join(REPO, ".clang-format"))
    p = subprocess.run([_clang_format(), "--dry-run", "--Werror", "--style=file"] + files,
                       cwd=REPO, capture_output=True, text=True)
    assert p.returncode == 0, "run clang-format -i on these:\n" + p.stderr[-4000:]
