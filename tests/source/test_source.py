"""Rules of the source tree that a machine checks, as httpd's and curl's do."""
import glob
import os
import re
import shutil
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
C_FILES = sorted(glob.glob(os.path.join(REPO, d, "*.[ch]"))
                 for d in ("mod_cfaop", "libaop", "tools"))
C_FILES = [f for group in C_FILES for f in group]


def _check_logtags(tree):
    return subprocess.run([os.path.join(REPO, "scripts", "check-logtags"), tree],
                          capture_output=True, text=True, timeout=30)


def test_log_tags_are_fixed_width_unique_and_next_number_is_true():
    r = _check_logtags(REPO)
    assert r.returncode == 0 and not r.stdout, r.stdout + r.stderr


def test_log_tag_checker_catches_each_mistake(tmp_path):
    """The checker itself: a duplicate, a short tag and a stale next-number are caught."""
    tree = tmp_path / "tree"
    shutil.copytree(os.path.join(REPO, "mod_cfaop"), tree / "mod_cfaop",
                    ignore=shutil.ignore_patterns(".libs", "*.lo", "*.slo", "*.la", "*.o"))
    src = tree / "mod_cfaop" / "cfaop_conn.c"
    text = src.read_text()
    first = re.search(r"CFAOP_LOGNO\((\d{5})\)", text).group(1)
    src.write_text(text.replace(f"CFAOP_LOGNO({first})", "CFAOP_LOGNO(00001)", 1))
    r = _check_logtags(str(tree))
    assert r.returncode == 1 and "used more than once: CFAOP_LOGNO(00001)" in r.stdout, r.stdout
    src.write_text(text.replace(f"CFAOP_LOGNO({first})", "CFAOP_LOGNO(7)", 1))
    r = _check_logtags(str(tree))
    assert r.returncode == 1 and "not five digits: CFAOP_LOGNO(7)" in r.stdout, r.stdout
    src.write_text(text)
    (tree / "mod_cfaop" / "next-number").write_text("5\n")
    r = _check_logtags(str(tree))
    assert r.returncode == 1 and "next-number is 5" in r.stdout, r.stdout


def test_module_files_share_one_private_header():
    """Each module file takes the module record and log macros from cfaop_private.h."""
    for path in glob.glob(os.path.join(REPO, "mod_cfaop", "*.c")):
        text = open(path).read()
        name = os.path.basename(path)
        assert "APLOG_USE_MODULE" not in text and "extern module" not in text, name
        if "CFAOP_LOGNO" in text or "&cfaop_module" in text:
            assert '#include "cfaop_private.h"' in text, name


def test_comments_do_not_point_outside_the_repository():
    """No 'SPEC §2' or 'reference §7': a reader of the tree cannot follow them."""
    pattern = re.compile(r"\bSPEC\b|reference §|shared/|reference/")
    hits = [f"{os.path.relpath(f, REPO)}:{n}: {line.strip()}"
            for f in C_FILES for n, line in enumerate(open(f), 1) if pattern.search(line)]
    assert not hits, "\n".join(hits)


def test_no_public_core_function_is_for_the_tests_only():
    """Every function libaop's headers declare is called by the module, the tool or libaop
    itself, not only by the unit tests."""
    declared = set()
    for h in glob.glob(os.path.join(REPO, "libaop", "*.h")):
        declared |= set(re.findall(r"\b(aop_[a-z0-9_]+)\s*\(", open(h).read()))
    users = {f: open(f).read() for d in ("mod_cfaop", "tools", "libaop")
             for f in glob.glob(os.path.join(REPO, d, "*.c"))}
    unused = []
    for name in sorted(declared):
        calls = sum(len(re.findall(rf"\b{name}\s*\(", text)) for text in users.values())
        definitions = sum(len(re.findall(rf"^[^\s].*\b{name}\s*\(", text, re.M))
                          for text in users.values())
        if calls - definitions <= 0:
            unused.append(name)
    assert not unused, unused


# httpd's layout rules, for every C file. tools/ is also exactly clang-format's output
# (tests/tool/test_style.py); the module keeps httpd's hand layout of log calls (the tag
# on the call's line, the message on the next), which clang-format cannot produce.
STYLE_DIRS = ("mod_cfaop", "libaop", "tools", "tests/unit", "tests/fuzz")
STYLE_RULES = (  # (pattern, what is wrong, whether comments are exempt)
    (re.compile(r"\t"), "a tab (indent with 4 spaces)", False),
    (re.compile(r"[ \t]$"), "trailing white space", False),
    (re.compile(r"^.{101}"), "longer than 100 columns", False),
    (re.compile(r"\}\s*else\b"), "'else' on the line of the closing brace", True),
    (re.compile(r"(?<![\w\"])(if|for|while|switch)\("), "no space between keyword and '('",
     True),
    (re.compile(r"^[A-Za-z_].*\)\s*\{\s*$"), "a function's brace not on a line of its own",
     False),
)


def style_violations(paths):
    found = []
    for path in paths:
        in_comment = False
        for n, line in enumerate(open(path), 1):
            line = line.rstrip("\n")
            comment = in_comment or line.lstrip().startswith(("/*", "*"))
            if comment:
                in_comment = "*/" not in line
            for rule, what, prose_exempt in STYLE_RULES:
                if not (comment and prose_exempt) and rule.search(line):
                    found.append(f"{os.path.relpath(path, REPO)}:{n}: {what}")
    return found


def test_c_files_follow_httpds_layout():
    paths = [f for d in STYLE_DIRS for f in sorted(glob.glob(os.path.join(REPO, d, "*.[ch]")))]
    assert len(paths) > 40
    found = style_violations(paths)
    assert not found, "\n".join(found)


def test_layout_checker_catches_each_mistake(tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("static int f(int a) {\n"
                   "\tif(a) {\n"
                   "        return 1;   \n"
                   "    } else {\n"
                   "        return " + "1 + " * 30 + "0;\n"
                   "    }\n"
                   "}\n"
                   "/* prose: if(a) } else is fine in a comment */\n")
    found = style_violations([str(bad)])
    for what in ("a function's brace", "a tab", "no space between keyword",
                 "trailing white space", "'else' on the line", "longer than 100"):
        assert sum(what in f for f in found) == 1, (what, found)
    assert len(found) == 6, found
