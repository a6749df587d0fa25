"""Reading uploaded PEM the way the real API reports it (issuer, signature
algorithm, serial, expiry, is-CA, key match).

Certificates are *made* by the tests' one PKI (tests/lib/pki.py), the fake's
own TLS CA and server certificate included. Only the ``cryptography`` package
(Debian: python3-cryptography 38) is used.
"""

import re

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import SignatureAlgorithmOID

# --------------------------------------------------------------------------
# Reading uploaded PEM
# --------------------------------------------------------------------------

_PEM_CERT_RE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


class PemError(ValueError):
    """Raised with .what = "certificate" | "private_key" | "key_mismatch"."""

    def __init__(self, what, detail):
        super().__init__(detail)
        self.what = what


def load_certificates(pem_text):
    """All certificates in a PEM bundle, in order. PemError if none parse."""
    text = pem_text.replace("\r\n", "\n")
    blocks = _PEM_CERT_RE.findall(text)
    if not blocks:
        raise PemError("certificate", "no PEM certificate found")
    try:
        return [x509.load_pem_x509_certificate(b.encode()) for b in blocks]
    except (ValueError, UnsupportedAlgorithm) as e:
        raise PemError("certificate", "unable to parse certificate: %s" % e)


def load_private_key(pem_text):
    try:
        return serialization.load_pem_private_key(pem_text.replace("\r\n", "\n").encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        # TypeError: an encrypted key (we have no passphrase) -- unusable too.
        raise PemError("private_key", "unable to parse private key: %s" % e)


def is_ca(cert):
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(cert, key):
    return _spki(cert.public_key()) == _spki(key.public_key())


# Cloudflare's backend is Go; its "signature" field reads like Go's
# x509.SignatureAlgorithm.String() ("ECDSA-SHA256", "SHA256-RSA" in the
# reference's real responses).
_GO_SIGNATURE_NAMES = {
    SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA1-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "SHA256-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "SHA384-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "SHA512-RSA",
    SignatureAlgorithmOID.RSASSA_PSS: "SHA256-RSAPSS",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ECDSA-SHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "ECDSA-SHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ECDSA-SHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ECDSA-SHA512",
    SignatureAlgorithmOID.ED25519: "Ed25519",
}


def signature_name(cert):
    oid = cert.signature_algorithm_oid
    return _GO_SIGNATURE_NAMES.get(oid, oid.dotted_string)


def issuer_string(cert):
    # RFC 4514 order (most specific first), as in the reference's example
    # "CN=example ECC,OU=example,L=San Francisco,ST=California,C=US".
    return cert.issuer.rfc4514_string()


def not_after(cert):
    """notAfter as a naive UTC datetime."""
    return cert.not_valid_after
