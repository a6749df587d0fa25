"""The benchmark still runs: one short round of its quick rows gives their figures.

Speed is never asserted here (scripts/bench.py measures it, side by side); but a
benchmark nobody runs breaks unnoticed, as its tool row once did when the tool
tests' PKI moved. The rows below cover its three kinds of work: a server of its
own under load (full handshakes, keep-alive requests) and the tool against the
fake API.
"""
import json
import os
import subprocess

from harness.settings import REPO

BENCH = os.path.join(REPO, "scripts", "bench.py")
ROWS = ["handshake", "keepalive-h1", "tool"]


def test_benchmark_quick_rows_give_their_figures(tmp_path):
    out = tmp_path / "bench.json"
    p = subprocess.run(["/usr/bin/python3", BENCH, "--rounds", "1", "--seconds", "1",
                        "--only", *ROWS, "--json", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-4000:]
    rows = json.load(open(out))["rows"]
    assert set(rows) == set(ROWS), rows.keys()
    for row in ("handshake", "keepalive-h1"):
        per_cfg = rows[row]["configs"]
        assert set(per_cfg) == {"N", "S", "M"}, per_cfg
        assert all(v["median"] > 0 for v in per_cfg.values()), per_cfg
        assert rows[row]["ratios"]["M/N"]["median"] > 0, rows[row]
    # Full handshakes with a client certificate cost more than without one:
    # a figure that says otherwise measured something else.
    hs = rows["handshake"]["configs"]
    assert hs["S"]["median"] > hs["N"]["median"], hs
    ops = rows["tool"]["ops"]
    assert ops["enable 100 hostnames"]["api_calls"]["median"] == 5, ops
    assert ops["status, 1,000 hostnames"]["api_calls"]["median"] == 6, ops
    assert "server CPU per full handshake" in p.stdout, p.stdout
