"""Harness of the mod_cfaop integration suite: PKI, Apache configs and control, clients."""
import os
import sys

# Under pytest, tests/conftest.py makes tests/lib importable; scripts/bench.py
# and scripts/demo.py import the harness without pytest, so the harness makes
# sure of it itself.
_TESTS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
