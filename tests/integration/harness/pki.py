"""Throwaway PKI for one test run (python3-cryptography, EC P-256 for speed).

Every certificate the tests need is made here, once per session, and written
as PEM files readable by Apache's children (www-data). `Cert.attack` marks
certificates that no protected vhost in any test configuration accepts; the
client helpers use it to enforce the suite's global invariant.
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
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = datetime.timedelta(days=1)


def _name(cn: str, org: str) -> x509.Name:
    # The comma in O exercises RFC 2253 escaping in CFAOP_CLIENT_*_DN.
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


@dataclass
class Cert:
    name: str
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
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


@dataclass
class PKI:
    dir: str
    certs: dict = field(default_factory=dict)

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
              ca=False, key=None, eku=ExtendedKeyUsageOID.CLIENT_AUTH,
              not_before=None, not_after=None, sans=(), ips=(),
              issuer_name: Optional[x509.Name] = None, attack=False,
              sign_hash=None) -> Cert:
        """Issue a certificate; issuer=None makes it self-signed."""
        now = datetime.datetime.utcnow().replace(microsecond=0)
        key = key or ec.generate_private_key(ec.SECP256R1())
        sign_key = issuer.key if issuer else key
        b = (x509.CertificateBuilder()
             .subject_name(subject)
             .issuer_name(issuer_name or (issuer.cert.subject if issuer else subject))
             .public_key(key.public_key())
             .serial_number(x509.random_serial_number())
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
            b = b.add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        if sans or ips:
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(s) for s in sans]
                + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]), critical=False)
        with warnings.catch_warnings():
            # SHA-1 is deprecated: exactly why one test certificate uses it.
            warnings.simplefilter("ignore")
            cert = b.sign(sign_key, sign_hash or hashes.SHA256())
        chain = []
        # Send intermediates (not roots) along with a leaf, as a real client would.
        if issuer and not ca and issuer.cert.issuer != issuer.cert.subject:
            chain = [issuer]
        return self._write(name, cert, key, chain, attack)


def build(directory: str, server_names: List[str], cloudflare_ca_path: str) -> PKI:
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, 0o755)
    pki = PKI(directory)
    now = datetime.datetime.utcnow().replace(microsecond=0)
    real_cf_subject = x509.load_pem_x509_certificate(
        open(cloudflare_ca_path, "rb").read()).subject

    # Server side.
    srv_ca = pki.issue("srv_ca", _name("Test Server CA", "Origin Ops"), ca=True)
    pki.issue("srv", _name(server_names[0], "Origin Ops"), srv_ca,
              eku=ExtendedKeyUsageOID.SERVER_AUTH, sans=server_names, ips=["127.0.0.1"])

    # Stand-in for Cloudflare's origin-pull CA and the shared certificate it signs.
    cf_ca = pki.issue("cf_ca", _name("origin-pull.cloudflare.test", "Cloudflare-like, Test"),
                      ca=True)
    pki.issue("cf_leaf", _name("cloudflare.test", "Cloudflare-like, Test"), cf_ca)
    # An impostor CA copying the real Cloudflare CA's subject, and its leaf.
    cf_fake = pki.issue("cf_fake_ca", real_cf_subject, ca=True, attack=True)
    pki.issue("cf_fake_leaf", _name("cloudflare.test", "CloudFlare, Inc."), cf_fake,
              attack=True)

    # Customer zone certificate(s).
    zone_ca = pki.issue("zone_ca", _name("Zone Client CA", "Example Zone, Inc."), ca=True)
    # notAfter on the 1st of a month at 17:00: CFAOP_CLIENT_V_END pads the day.
    v_end = datetime.datetime(now.year + 2, now.month, 1, 17, 0, 0)
    zone_leaf = pki.issue("zone_leaf", _name("zone.test origin pull", "Example Zone, Inc."),
                          zone_ca, not_after=v_end)
    # Re-issued with the same key: survives an spki-sha256 pin, not a sha256 one.
    pki.issue("zone_leaf_rekey", _name("zone.test origin pull", "Example Zone, Inc."),
              zone_ca, key=zone_leaf.key)
    # Another valid certificate of the same CA with its own key.
    pki.issue("zone_leaf2", _name("zone.test origin pull 2", "Example Zone, Inc."), zone_ca)

    # Per-hostname certificates.
    host_ca = pki.issue("host_ca", _name("Hostname Client CA", "Example Zone, Inc."), ca=True)
    pki.issue("host_leaf", _name("app.zone.test", "Example Zone, Inc."), host_ca)
    pki.issue("host_leaf2", _name("pin.zone.test", "Example Zone, Inc."), host_ca)

    # Attackers.
    foreign_ca = pki.issue("foreign_ca", _name("Foreign CA", "Mallory Ltd"), ca=True)
    pki.issue("foreign_leaf", _name("mallory", "Mallory Ltd"), foreign_ca, attack=True)
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
    root_ca = pki.issue("root_ca", _name("Chain Root CA", "Example Zone, Inc."), ca=True)
    inter_ca = pki.issue("inter_ca", _name("Chain Intermediate CA", "Example Zone, Inc."),
                         root_ca, ca=True)
    pki.issue("inter_leaf", _name("chain leaf", "Example Zone, Inc."), inter_ca)

    # mod_ssl's own client authentication (SSLVerifyClient next to mod_cfaop).
    modssl_ca = pki.issue("modssl_ca", _name("mod_ssl Client CA", "Other Team"), ca=True)
    pki.issue("modssl_leaf", _name("mod_ssl client", "Other Team"), modssl_ca)
    # What an attacker makes in a second: a self-signed client certificate.
    pki.issue("selfsigned", _name("admin", "Mallory Ltd"), attack=True)
    # Under the trusted zone CA, but too weak for a TLS handshake's security
    # level: a SHA-1 signature, a 1024-bit RSA key.
    pki.issue("weak_sha1", _name("weak sha1", "Example Zone, Inc."), zone_ca,
              sign_hash=hashes.SHA1(), attack=True)
    pki.issue("weak_rsa1024", _name("weak rsa1024", "Example Zone, Inc."), zone_ca,
              key=rsa.generate_private_key(public_exponent=65537, key_size=1024),
              attack=True)

    # For configtest warnings (CFAOP00001).
    pki.issue("soon_ca", _name("Soon Expiring CA", "Example Zone, Inc."), ca=True,
              not_after=now + 10 * DAY)
    pki.issue("old_ca", _name("Expired CA", "Example Zone, Inc."), ca=True,
              not_before=now - 400 * DAY, not_after=now - 2 * DAY)
    pki.issue("soon_leaf", _name("soon leaf", "Example Zone, Inc."), zone_ca,
              not_after=now + 5 * DAY)
    return pki
