"""Self-signed certificate for serving the simulator over HTTPS.

simple-salesforce always builds https:// URLs, so the simulator speaks TLS by default.
Clients trust it with `session.verify = cert_path` and must also set
`session.trust_env = False`: requests lets REQUESTS_CA_BUNDLE (set on this machine)
override `session.verify` otherwise.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_LOCK = threading.Lock()
_DEFAULT_DIR: Path | None = None


@dataclass(frozen=True)
class CertificatePair:
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def _usable(cert_path: Path, key_path: Path) -> bool:
    if not (cert_path.exists() and key_path.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    has_ip = ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    fresh = cert.not_valid_after_utc > datetime.now(UTC) + timedelta(days=1)
    return has_ip and fresh


def _generate(cert_path: Path, key_path: Path) -> None:
    # EC keys generate in milliseconds, which keeps per-process test startup cheap.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ledgerline Salesforce Simulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
        ]
    )
    now = datetime.now(UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        # A CA flag lets OpenSSL accept the certificate as its own trust anchor.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def ensure_certificate(directory: Path | str | None = None) -> CertificatePair:
    """Reuse cert.pem/key.pem in `directory` if still valid, else create them.

    Without a directory, one temporary directory per process is used, so every
    simulator started by a test run shares one certificate.
    """
    global _DEFAULT_DIR
    with _LOCK:
        if directory is None:
            if _DEFAULT_DIR is None:
                _DEFAULT_DIR = Path(tempfile.mkdtemp(prefix="ledgerline-sf-sim-"))
            directory = _DEFAULT_DIR
        folder = Path(directory)
        pair = CertificatePair(folder / "cert.pem", folder / "key.pem")
        if not _usable(pair.cert_path, pair.key_path):
            _generate(pair.cert_path, pair.key_path)
        return pair
