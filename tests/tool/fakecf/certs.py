"""Certificate helpers for the fake Cloudflare API and its tests.

Two jobs, kept apart:

* *making* throwaway PKI material (the fake's own TLS CA and server
  certificate, and client certificates the tests upload), and
* *reading* uploaded PEM the way the real API reports it (issuer, signature
  algorithm, serial, expiry, is-CA, key match).

Only the ``cryptography`` package (Debian: python3-cryptography 38) is used.
"""

import datetime
import ipaddress
import os
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

# --------------------------------------------------------------------------
# Making certificates
# --------------------------------------------------------------------------


@dataclass
class CertKey:
    """A certificate and its private key, as objects and as PEM text."""

    cert: x509.Certificate
    key: object
    cert_pem: str
    key_pem: str

    def write(self, directory, name):
        """Write NAME.pem and NAME.key into DIRECTORY; return both paths."""
        cert_path = os.path.join(str(directory), name + ".pem")
        key_path = os.path.join(str(directory), name + ".key")
        with open(cert_path, "w") as f:
            f.write(self.cert_pem)
        with open(key_path, "w") as f:
            f.write(self.key_pem)
        os.chmod(key_path, 0o600)
        return cert_path, key_path


def _new_key(key_type):
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError("key_type must be ec, rsa or ed25519")


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def make_cert(
    cn="origin-pull.example.com",
    issuer=None,
    key_type="ec",
    days=365,
    not_before=None,
    not_after=None,
    is_ca=False,
    serial=None,
    san_dns=None,
    san_ip=None,
    server_auth=False,
    client_auth=True,
    org="cfaop tests",
):
    """Make a certificate; self-signed when ISSUER (a CertKey) is None.

    days may be negative to make an already expired certificate (or pass
    not_before/not_after as naive UTC datetimes).
    """
    key = _new_key(key_type)
    now = _utcnow()
    nb = not_before or (now - datetime.timedelta(days=1) if days > 0 else now + datetime.timedelta(days=days - 30))
    na = not_after or (now + datetime.timedelta(days=days))
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )
    issuer_name = issuer.cert.subject if issuer else subject
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(nb)
        .not_valid_after(na)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    if is_ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    else:
        ekus = []
        if server_auth:
            ekus.append(ExtendedKeyUsageOID.SERVER_AUTH)
        if client_auth:
            ekus.append(ExtendedKeyUsageOID.CLIENT_AUTH)
        if ekus:
            builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    names = [x509.DNSName(d) for d in (san_dns or [])]
    names += [x509.IPAddress(ipaddress.ip_address(i)) for i in (san_ip or [])]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    algorithm = None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = builder.sign(signing_key, algorithm)
    return CertKey(
        cert=cert,
        key=key,
        cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


def make_ca(cn="cfaop test CA", key_type="ec", days=3650):
    return make_cert(cn=cn, key_type=key_type, days=days, is_ca=True, client_auth=False)


def make_server_cert(ca, days=30):
    """TLS server certificate for the fake: SAN IP:127.0.0.1, DNS:localhost."""
    return make_cert(
        cn="localhost", issuer=ca, days=days, san_dns=["localhost"], san_ip=["127.0.0.1"],
        server_auth=True, client_auth=False,
    )


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
