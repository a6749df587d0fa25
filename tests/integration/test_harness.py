"""The harness's own rules, checked on made-up log lines (no Apache needed)."""
from conftest import unexpected_lines

LINES = [
    "[Tue Dec 01 18:00:00.1 2026] [ssl:info] [pid 1:tid 2] AH01964: Connection to child 1",
    "[Tue Dec 01 18:00:00.2 2026] [ssl:warn] [pid 1:tid 1] AH01882: Init: this version of "
    "mod_ssl was compiled against a newer library",
    "[Tue Dec 01 18:00:00.3 2026] [cfaop:warn] [pid 1:tid 1] CFAOP00004: CFAOPEngine is on",
    "[Tue Dec 01 18:00:00.4 2026] [ssl:error] [pid 1:tid 2] AH02261: Re-negotiation failed",
    "[Tue Dec 01 18:00:00.5 2026] [core:crit] [pid 1:tid 2] AH00102: [crit] something",
    "[Tue Dec 01 18:00:00.6 2026] [cfaop:debug] [pid 1:tid 2] CFAOP00010: chain verified",
]


def test_warn_and_error_lines_fail_unless_declared():
    """info/debug pass, the environment's AH01882 passes, every other warn+ line is reported."""
    assert unexpected_lines(LINES, []) == LINES[2:5]
    assert unexpected_lines(LINES, [r"CFAOP00004: ", r"AH02261: "]) == [LINES[4]]
    assert unexpected_lines(LINES, [r"CFAOP00004: ", r"AH02261: ", r"AH00102: "]) == []
