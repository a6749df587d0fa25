"""Throwaway PKI for the Python test suites (python3-cryptography).

One builder for every suite: the Apache integration tests, the cfaop tool
tests and the fake Cloudflare API (its own TLS CA and server certificate).
Every certificate is made here and written as PEM files readable by Apache's
children (www-data). `Cert.attack` marks certificates that no protected vhost
in any integration configuration accepts; the integration client helpers use
it to enforce that suite's global invariant.

    pki = PKI(directory)
    ca = pki.issue("ca", name("Test CA"), ca=True)
    leaf = pki.issue("leaf", name("client"), ca)      # a client certificate
    leaf.cert_path, leaf.key_path, leaf.cert_pem, leaf.sha256_hex, leaf.args()
    pki.leaf()                                         # the tool suite's shorthand
    mldsa_certificate(leaf.cert)                       # the same, "signed" with ML-DSA-44
"""
import base64
import datetime
import hashlib
import ipaddress
import os
import warnings
from dataclasses import dataclass, field
from typing import List, Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = datetime.timedelta(days=1)


def name(cn: str, org: Optional[str] = None) -> x509.Name:
    """C=US, O=org, CN=cn (C and O left out when org is None)."""
    if org is None:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    # The comma in some test organisations exercises RFC 2253 escaping in
    # CFAOP_CLIENT_*_DN.
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


# The integration tests' historical spelling.
_name = name


def utcnow() -> datetime.datetime:
    """Now, naive UTC, whole seconds (what x509 validity fields hold)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def new_key(key_type: str = "ec"):
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError("key_type must be ec, rsa or ed25519")


@dataclass
class Cert:
    name: str
    cert: x509.Certificate
    key: object
    cert_path: str
    key_path: str
    # Leaf followed by the intermediates the client sends (curl --cert, python ssl).
    chain_path: str
    # Only the intermediates (openssl s_client -cert_chain), None when there are none.
    extra_chain_path: Optional[str]
    attack: bool = False

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def cert_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def spki_b64(self) -> str:
        spki = self.cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(hashlib.sha256(spki).digest()).decode()

    @property
    def subject_dn(self) -> str:
        return self.cert.subject.rfc4514_string()

    @property
    def issuer_dn(self) -> str:
        return self.cert.issuer.rfc4514_string()

    @property
    def not_after_str(self) -> str:
        # OpenSSL's ASN1_TIME_print format: day of month padded with a space.
        return self.cert.not_valid_after.strftime("%b %e %H:%M:%S %Y GMT")

    def args(self) -> List[str]:
        """The cfaop tool's options for this certificate and its key."""
        return ["--cert", self.cert_path, "--key", self.key_path]


@dataclass
class PKI:
    dir: str
    certs: dict = field(default_factory=dict)

    def __post_init__(self):
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)  # Apache's children run as www-data

    def __getattr__(self, item):
        try:
            return self.__dict__["certs"][item]
        except KeyError:
            raise AttributeError(item) from None

    # ------------------------------------------------------------------
    def _write(self, name, cert, key, chain: List[Cert], attack) -> Cert:
        pem = cert.public_bytes(serialization.Encoding.PEM)
        extra = b"".join(c.cert.public_bytes(serialization.Encoding.PEM) for c in chain)
        paths = {s: os.path.join(self.dir, f"{name}{s}") for s in
                 (".pem", ".key", ".chain.pem", ".extra.pem")}
        with open(paths[".pem"], "wb") as f:
            f.write(pem)
        with open(paths[".chain.pem"], "wb") as f:
            f.write(pem + extra)
        with open(paths[".key"], "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        if extra:
            with open(paths[".extra.pem"], "wb") as f:
                f.write(extra)
        for p in paths.values():
            if os.path.exists(p):
                os.chmod(p, 0o644)  # test keys; Apache's children run as www-data
        c = Cert(name, cert, key, paths[".pem"], paths[".key"], paths[".chain.pem"],
                 paths[".extra.pem"] if extra else None, attack)
        self.certs[name] = c
        return c

    def issue(self, name, subject: x509.Name, issuer: Optional[Cert] = None, *,
              ca=False, key=None, key_type="ec", eku=ExtendedKeyUsageOID.CLIENT_AUTH,
              not_before=None, not_after=None, days=None, sans=(), ips=(),
              issuer_name: Optional[x509.Name] = None, attack=False,
              sign_hash=None, serial=None) -> Cert:
        """Issue a certificate; issuer=None makes it self-signed.

        eku: one OID, a list of them, or None for no extendedKeyUsage (leaves
        only). days: validity from now (negative: expired that many days ago);
        not_before/not_after win over it."""
        now = utcnow()
        if days is not None and days <= 0:
            not_before = not_before or now + (days - 30) * DAY
        if days is not None:
            not_after = not_after or now + days * DAY
        key = key or new_key(key_type)
        sign_key = issuer.key if issuer else key
        b = (x509.CertificateBuilder()
             .subject_name(subject)
             .issuer_name(issuer_name or (issuer.cert.subject if issuer else subject))
             .public_key(key.public_key())
             .serial_number(serial or x509.random_serial_number())
             .not_valid_before(not_before or now - DAY)
             .not_valid_after(not_after or now + 365 * DAY)
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                            critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                 sign_key.public_key()), critical=False))
        if ca:
            b = b.add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        else:
            b = b.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            ekus = [] if eku is None else list(eku) if isinstance(eku, (list, tuple)) else [eku]
            if ekus:
                b = b.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
        if sans or ips:
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(s) for s in sans]
                + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]), critical=False)
        # Ed25519 signs without a separate digest.
        algorithm = (None if isinstance(sign_key, ed25519.Ed25519PrivateKey)
                     else sign_hash or hashes.SHA256())
        with warnings.catch_warnings():
            # SHA-1 is deprecated: exactly why one test certificate uses it.
            warnings.simplefilter("ignore")
            cert = b.sign(sign_key, algorithm)
        chain = []
        # Send intermediates (not roots) along with a leaf, as a real client would.
        if issuer and not ca and issuer.cert.issuer != issuer.cert.subject:
            chain = [issuer]
        return self._write(name, cert, key, chain, attack)

    # ------------------------------------------------------------------
    def _unique(self, base: str) -> str:
        n = len(self.certs) + 1
        while f"{base}-{n}" in self.certs:
            n += 1
        return f"{base}-{n}"

    def leaf(self, cn="client", *, days=365, expired=False, is_ca=False, self_signed=False,
             issuer: Optional[Cert] = None, **kw) -> Cert:
        """A client certificate with a unique name (CN "<cn>-<n>"), issued by
        `issuer` or else by this PKI's default client CA, made on first use.
        expired: ended two days ago; is_ca/self_signed: self-signed."""
        n = self._unique(cn)
        if expired:
            kw.setdefault("not_before", utcnow() - 400 * DAY)
            kw.setdefault("not_after", utcnow() - 2 * DAY)
        else:
            kw.setdefault("days", days)
        if is_ca or self_signed:
            return self.issue(n, name(n), ca=is_ca, **kw)
        if issuer is None:
            issuer = self.certs.get("client_ca") or self.issue(
                "client_ca", name("cfaop test client CA"), ca=True, days=3650)
        return self.issue(n, name(n), issuer, **kw)

    def server(self, cert_name: str, issuer: Cert, names=("localhost",), ips=("127.0.0.1",),
               org: Optional[str] = None, **kw) -> Cert:
        """A TLS server certificate for names and ips (CN = the first name)."""
        return self.issue(cert_name, name(names[0], org), issuer,
                          eku=ExtendedKeyUsageOID.SERVER_AUTH, sans=names, ips=ips, **kw)


# -- algorithms this OpenSSL may not know ------------------------------------

MLDSA44_OID = "2.16.840.1.101.3.4.3.17"
_MLDSA44 = bytes.fromhex("0609608648016503040311")  # that OID, DER-encoded


def _tlv(tag, body):
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(octets)]) + octets
    return bytes([tag]) + length + body


def _items(der):
    """The top-level elements of a DER SEQUENCE's body, as raw TLVs."""
    out, i = [], 0
    while i < len(der):
        n = der[i + 1]
        head = 2
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(der[i + 2:i + 2 + k], "big")
            head = 2 + k
        out.append(der[i:i + head + n])
        i += head + n
    return out


def _body(tlv):
    n = tlv[1]
    return tlv[2 + (n & 0x7f):] if n & 0x80 else tlv[2:]


def mldsa_certificate(cert: x509.Certificate, key=False) -> x509.Certificate:
    """The certificate re-encoded as if signed with ML-DSA-44 (and, with key=True,
    as if its own key were ML-DSA-44), with random signature and key bytes: what
    Cloudflare accepts since 2026 and OpenSSL before 3.5 cannot verify. Without
    key=True the key is still the original one, so its private key matches."""
    tbs = _items(_body(cert.tbs_certificate_bytes))
    alg = _tlv(0x30, _MLDSA44)
    tbs[2] = alg  # [0] version, serial, signature algorithm, ...
    if key:
        tbs[6] = _tlv(0x30, alg + _tlv(0x03, b"\x00" + os.urandom(1312)))
    body = _tlv(0x30, b"".join(tbs)) + alg + _tlv(0x03, b"\x00" + os.urandom(2420))
    return x509.load_der_x509_certificate(_tlv(0x30, body))


def build(directory: str, server_names: List[str], cloudflare_ca_path: str) -> PKI:
    """The integration suite's set of certificates, by name."""
    pki = PKI(directory)
    now = utcnow()
    real_cf_subject = x509.load_pem_x509_certificate(
        open(cloudflare_ca_path, "rb").read()).subject

    # Server side.
    srv_ca = pki.issue("srv_ca", name("Test Server CA", "Origin Ops"), ca=True)
    pki.server("srv", srv_ca, names=server_names, ips=["127.0.0.1"], org="Origin Ops")

    # Stand-in for Cloudflare's origin-pull CA and the shared certificate it signs.
    cf_ca = pki.issue("cf_ca", name("origin-pull.cloudflare.test", "Cloudflare-like, Test"),
                      ca=True)
    pki.issue("cf_leaf", name("cloudflare.test", "Cloudflare-like, Test"), cf_ca)
    # An impostor CA copying the real Cloudflare CA's subject, and its leaf.
    cf_fake = pki.issue("cf_fake_ca", real_cf_subject, ca=True, attack=True)
    pki.issue("cf_fake_leaf", name("cloudflare.test", "CloudFlare, Inc."), cf_fake,
              attack=True)

    # Customer zone certificate(s).
    zone_ca = pki.issue("zone_ca", name("Zone Client CA", "Example Zone, Inc."), ca=True)
    # notAfter on the 1st of a month at 17:00: CFAOP_CLIENT_V_END pads the day.
    v_end = datetime.datetime(now.year + 2, now.month, 1, 17, 0, 0)
    zone_leaf = pki.issue("zone_leaf", name("zone.test origin pull", "Example Zone, Inc."),
                          zone_ca, not_after=v_end)
    # Re-issued with the same key: survives an spki-sha256 pin, not a sha256 one.
    pki.issue("zone_leaf_rekey", name("zone.test origin pull", "Example Zone, Inc."),
              zone_ca, key=zone_leaf.key)
    # Another valid certificate of the same CA with its own key.
    pki.issue("zone_leaf2", name("zone.test origin pull 2", "Example Zone, Inc."), zone_ca)

    # Per-hostname certificates.
    host_ca = pki.issue("host_ca", name("Hostname Client CA", "Example Zone, Inc."), ca=True)
    pki.issue("host_leaf", name("app.zone.test", "Example Zone, Inc."), host_ca)
    pki.issue("host_leaf2", name("pin.zone.test", "Example Zone, Inc."), host_ca)

    # Attackers.
    foreign_ca = pki.issue("foreign_ca", name("Foreign CA", "Mallory Ltd"), ca=True)
    pki.issue("foreign_leaf", name("mallory", "Mallory Ltd"), foreign_ca, attack=True)
    pki.issue("subject_copy", zone_leaf.cert.subject, foreign_ca, attack=True)
    fake_zone_ca = pki.issue("fake_zone_ca", zone_ca.cert.subject, ca=True, attack=True)
    pki.issue("fake_zone_leaf", zone_leaf.cert.subject, fake_zone_ca, attack=True)
    # The fake CA sent along, as a client that hopes the server trusts the chain.
    fake = pki.certs["fake_zone_leaf"]
    with open(fake.chain_path, "ab") as f:
        f.write(fake_zone_ca.cert.public_bytes(serialization.Encoding.PEM))
    pki.issue("expired", zone_leaf.cert.subject, zone_ca,
              not_before=now - 60 * DAY, not_after=now - DAY, attack=True)
    pki.issue("not_yet_valid", zone_leaf.cert.subject, zone_ca,
              not_before=now + 30 * DAY, not_after=now + 400 * DAY, attack=True)
    pki.issue("server_auth_only", zone_leaf.cert.subject, zone_ca,
              eku=ExtendedKeyUsageOID.SERVER_AUTH, attack=True)

    # Root -> intermediate -> leaf.
    root_ca = pki.issue("root_ca", name("Chain Root CA", "Example Zone, Inc."), ca=True)
    inter_ca = pki.issue("inter_ca", name("Chain Intermediate CA", "Example Zone, Inc."),
                         root_ca, ca=True)
    pki.issue("inter_leaf", name("chain leaf", "Example Zone, Inc."), inter_ca)

    # mod_ssl's own client authentication (SSLVerifyClient next to mod_cfaop).
    modssl_ca = pki.issue("modssl_ca", name("mod_ssl Client CA", "Other Team"), ca=True)
    pki.issue("modssl_leaf", name("mod_ssl client", "Other Team"), modssl_ca)
    # What an attacker makes in a second: a self-signed client certificate.
    pki.issue("selfsigned", name("admin", "Mallory Ltd"), attack=True)
    # Under the trusted zone CA, but too weak for a TLS handshake's security
    # level: a SHA-1 signature, a 1024-bit RSA key.
    pki.issue("weak_sha1", name("weak sha1", "Example Zone, Inc."), zone_ca,
              sign_hash=hashes.SHA1(), attack=True)
    pki.issue("weak_rsa1024", name("weak rsa1024", "Example Zone, Inc."), zone_ca,
              key=rsa.generate_private_key(public_exponent=65537, key_size=1024),
              attack=True)

    # For configtest warnings (CFAOP00001).
    pki.issue("soon_ca", name("Soon Expiring CA", "Example Zone, Inc."), ca=True,
              not_after=now + 10 * DAY)
    pki.issue("old_ca", name("Expired CA", "Example Zone, Inc."), ca=True,
              not_before=now - 400 * DAY, not_after=now - 2 * DAY)
    pki.issue("soon_leaf", name("soon leaf", "Example Zone, Inc."), zone_ca,
              not_after=now + 5 * DAY)
    return pki
