"""Create the self-signed certificate nginx uses for https://localhost in the compose stack.

Run once by the compose service `tls-cert` (from the portal image, which already has
`cryptography`), before nginx starts:

    python make_dev_cert.py /var/lib/cocoon    # writes localhost.crt and localhost.key

It keeps a certificate that is still valid for 30 days or more, so restarts do not make the
browser ask again. For local development only: a production certificate comes from a real CA.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=397)  # the longest lifetime browsers accept for a server certificate
RENEW_BEFORE = dt.timedelta(days=30)


def still_valid(cert_path: Path, key_path: Path, now: dt.datetime) -> bool:
    """Whether a usable certificate is already there and not about to expire."""
    if not (cert_path.exists() and key_path.exists()):
        return False
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return cert.not_valid_after_utc - now > RENEW_BEFORE


def self_signed(now: dt.datetime) -> tuple[bytes, bytes]:
    """A fresh P-256 key and a certificate for localhost, 127.0.0.1 and ::1, both as PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # tolerate a little clock skew
        .not_valid_after(now + VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def main(directory: str) -> None:
    """Write localhost.crt and localhost.key into directory unless a good pair is there."""
    target = Path(directory)
    cert_path, key_path = target / "localhost.crt", target / "localhost.key"
    now = dt.datetime.now(dt.UTC)
    if still_valid(cert_path, key_path, now):
        print(f"keeping the certificate in {target}")
        return
    cert_pem, key_pem = self_signed(now)
    target.mkdir(parents=True, exist_ok=True)
    # The key is readable by its owner only; nginx's master process reads it as root.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as key_file:
        key_file.write(key_pem)
    cert_path.write_bytes(cert_pem)
    print(f"wrote a self-signed certificate for localhost to {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
