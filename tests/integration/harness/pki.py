"""The integration suite's PKI: the shared one in tests/lib/pki.py, under its old name."""
from lib.pki import DAY, PKI, Cert, _name, build, mldsa_certificate, name  # noqa: F401
