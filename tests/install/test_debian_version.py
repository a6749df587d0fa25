"""The version has one source, configure.ac's AC_INIT; debian/changelog's newest
entry must carry the same upstream version (plus a Debian revision), so that a
release that bumps AC_INIT and forgets the changelog fails here, not in a
package that calls itself something else. Fast and needs no root."""
import os
import re

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def ac_init_version(text: str) -> str:
    """The second argument of AC_INIT: AC_INIT([name], [version], ...)."""
    m = re.search(r"^AC_INIT\(\s*\[?[^],]*\]?\s*,\s*\[?([^],)\s]+)\]?", text, re.M)
    assert m, "no AC_INIT([name], [version], ...) in configure.ac"
    return m.group(1)


def changelog_version(text: str) -> str:
    """The version of the newest entry: 'source (version) dist; urgency=...'."""
    m = re.match(r"([a-z0-9][a-z0-9+.-]+) \(([^()\s]+)\) [^;]+;", text)
    assert m, "debian/changelog does not start with 'source (version) dist;'"
    return m.group(2)


def upstream_part(debian_version: str) -> str:
    """Debian policy 5.6.12: [epoch:]upstream_version[-debian_revision]."""
    v = debian_version.split(":", 1)[1] if ":" in debian_version else debian_version
    return v.rsplit("-", 1)[0] if "-" in v else v


def read(*parts: str) -> str:
    with open(os.path.join(REPO, *parts)) as f:
        return f.read()


def test_changelog_upstream_version_is_ac_init_version():
    """debian/changelog's newest version is AC_INIT's version plus a revision."""
    upstream = ac_init_version(read("configure.ac"))
    debian = changelog_version(read("debian", "changelog"))
    assert upstream_part(debian) == upstream, (
        f"debian/changelog says {debian}, configure.ac's AC_INIT says {upstream}: "
        f"add a changelog entry ({upstream}-1) with dch -v {upstream}-1")


def test_changelog_version_is_not_native():
    """0.1.0-1, not 0.1.0: the packaging is versioned apart from upstream."""
    debian = changelog_version(read("debian", "changelog"))
    assert "-" in debian.split(":", 1)[-1], debian


@pytest.mark.parametrize("configure_ac, changelog, same", [
    ("AC_INIT([mod_cfaop], [0.1.0], [x], [mod_cfaop])",
     "mod-cfaop (0.1.0-1) unstable; urgency=medium\n", True),
    ("AC_INIT([mod_cfaop], [0.2.0], [x], [mod_cfaop])",
     "mod-cfaop (0.1.0-1) unstable; urgency=medium\n", False),
    ("AC_INIT([mod_cfaop],[0.1.0])",
     "mod-cfaop (1:0.1.0-2) bookworm; urgency=low\n", True),
    ("AC_INIT(mod_cfaop, 0.1.0-rc1)",
     "mod-cfaop (0.1.0-rc1-1) unstable; urgency=medium\n", True),
    ("AC_INIT([mod_cfaop], [0.1.0])",
     "mod-cfaop (0.1.0.1-1) unstable; urgency=medium\n", False),
])
def test_the_check_tells_same_from_different(configure_ac, changelog, same):
    """The comparison itself: equal versions pass, a forgotten bump is caught."""
    assert (upstream_part(changelog_version(changelog))
            == ac_init_version(configure_ac)) is same
