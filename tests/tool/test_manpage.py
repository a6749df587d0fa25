"""The man page's command list and the command table cannot drift: every
command `cfaop --help` lists (it prints the table) has an entry in the
COMMANDS section of docs/cfaop.1, and every command named there exists."""

import os
import re
import subprocess

from conftest import REPO

FAMILY = re.compile(r"(status|ssl-mode|global|verify-token|check-origin|probe|zone [a-z-]+|hostname [a-z-]+)")


def _help_commands(cfaop_bin):
    p = subprocess.run([cfaop_bin, "--help"], capture_output=True, text=True)
    assert p.returncode == 0
    out = set()
    for line in p.stdout.splitlines():
        m = re.match(r"  (\S+)(?: ([a-z][a-z-]*))?(?: |$)", line)
        if m and not line.startswith("   ") and not m.group(1).startswith("-"):
            family, sub = m.group(1), m.group(2)
            if family in ("zone", "hostname"):
                out.add("%s %s" % (family, sub))
            else:
                out.add(family)
    return out


def _man_commands():
    """The commands named in the tags (.TP lines) of the COMMANDS section."""
    text = open(os.path.join(REPO, "docs", "cfaop.1")).read()
    section = text.split(".SH COMMANDS", 1)[1].split("\n.SH ", 1)[0]
    lines = section.splitlines()
    out = set()
    for i, line in enumerate(lines):
        if line == ".TP" and i + 1 < len(lines):
            tag = re.sub(r"\\f[BIRP]|\\-|\"", lambda m: "-" if m.group(0) == "\\-" else "",
                         lines[i + 1])
            tag = re.sub(r"^\.[BIR]+ ", "", tag)
            for part in tag.split(", "):
                m = FAMILY.match(part.strip())
                if m:
                    out.add(m.group(1))
    return out


def test_man_page_lists_exactly_the_command_table(cfaop_bin):
    table, man = _help_commands(cfaop_bin), _man_commands()
    assert len(table) >= 20
    assert table - man == set(), "commands missing from docs/cfaop.1 COMMANDS"
    assert man - table == set(), "docs/cfaop.1 names commands the tool does not have"
