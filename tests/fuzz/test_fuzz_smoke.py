"""Smoke run of the libFuzzer targets (tests/fuzz/fuzz_*.c).

Builds every target once per session with build.sh (ASan + UBSan +
libFuzzer), then for each target:
  - replays every input under regressions/<target>/ (inputs that once
    crashed it): each must run clean;
  - fuzzes for a few seconds from the checked-in corpus, which is read but
    never written: libFuzzer must exit 0 and report that it ran inputs.

A missing clang or fuzzer runtime fails, naming the Debian packages: a
skipped fuzz test would hide that nothing was fuzzed.
"""
import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = sorted(name[:-2] for name in os.listdir(HERE)
                 if name.startswith("fuzz_") and name.endswith(".c"))
PACKAGES = "clang libclang-rt-14-dev"
# Seconds of fuzzing per target; all of them together stay well under a
# minute, the build included.
FUZZ_SECONDS = int(os.environ.get("FUZZ_SMOKE_SECONDS", "4"))


@pytest.fixture(scope="session")
def fuzz_bin(tmp_path_factory):
    """Directory of the built targets, built once per session."""
    if not (shutil.which("clang-14") or shutil.which("clang")):
        pytest.fail(f"clang is not installed; on Debian: apt-get install {PACKAGES}",
                    pytrace=False)
    out = tmp_path_factory.mktemp("fuzz-bin")
    env = dict(os.environ, FUZZ_OUT=str(out))
    proc = subprocess.run([os.path.join(HERE, "build.sh")], env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"tests/fuzz/build.sh failed (exit {proc.returncode}); the fuzzer "
                    f"runtime comes with the Debian packages {PACKAGES}\n"
                    f"{proc.stdout}{proc.stderr}", pytrace=False)
    return out


def run(cmd, cwd, timeout):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          errors="replace", timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def test_targets_found():
    # The three targets of the core are always there; fuzz_tool_*.c may be.
    assert {"fuzz_pem", "fuzz_pin", "fuzz_hostname"} <= set(TARGETS)


@pytest.mark.parametrize("target", TARGETS)
def test_regressions_replay(target, fuzz_bin, tmp_path):
    reg = os.path.join(HERE, "regressions", target)
    files = sorted(os.path.join(reg, f) for f in os.listdir(reg)) if os.path.isdir(reg) else []
    if not files:
        return
    rc, out = run([str(fuzz_bin / target), "-timeout=10"] + files, tmp_path, 120)
    assert rc == 0, f"{target} fails on a regression input:\n{out[-4000:]}"
    for f in files:
        assert f"Running: {f}" in out, f"{f} was not run:\n{out[-4000:]}"
    assert len(re.findall(r"^Executed ", out, re.M)) == len(files), out[-4000:]


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_briefly(target, fuzz_bin, tmp_path):
    new = tmp_path / "new"
    new.mkdir()
    cmd = [str(fuzz_bin / target), f"-max_total_time={FUZZ_SECONDS}", "-timeout=10",
           "-print_final_stats=1", f"-artifact_prefix={tmp_path}/", str(new)]
    corpus = os.path.join(HERE, "corpus", target)
    if os.path.isdir(corpus):
        cmd.append(corpus)
    dictionary = os.path.join(HERE, target + ".dict")
    if os.path.isfile(dictionary):
        cmd.insert(1, f"-dict={dictionary}")
    rc, out = run(cmd, tmp_path, FUZZ_SECONDS + 120)
    assert rc == 0, f"{target} exited {rc}:\n{out[-6000:]}"
    done = re.search(r"^Done (\d+) runs in (\d+) second", out, re.M)
    assert done, f"no 'Done N runs' line from {target}:\n{out[-4000:]}"
    assert int(done.group(1)) > 0, out[-4000:]
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("leak-*"))
