"""Node keys: an Ed25519 key pair per daemon, kept in its state directory.

The private key is written once, mode 0600, and reused on every start; the
node is known to others by its public key, shown as a short fingerprint.
"""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding, NoEncryption, PrivateFormat, PublicFormat, load_pem_private_key,
)

from .errors import TrustUsageError

KEY_FILE = "node_key.pem"
PUBLIC_KEY_LEN = 32
SIGNATURE_LEN = 64


def fingerprint(public_key: bytes) -> str:
    """A short, stable name for a public key: ``SHA256:`` and 16 base64 characters."""
    digest = hashlib.sha256(public_key).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")[:16]


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s over ``message`` (never raises)."""
    if len(public_key) != PUBLIC_KEY_LEN or len(signature) != SIGNATURE_LEN:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


class NodeKey:
    """A node's signing key."""

    def __init__(self, private: Ed25519PrivateKey):
        self._private = private
        self.public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.fingerprint = fingerprint(self.public)

    @classmethod
    def generate(cls) -> "NodeKey":
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> "NodeKey":
        """A key derived from 32 bytes (simulations: the same seed, the same keys)."""
        return cls(Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest()))

    @classmethod
    def load_or_create(cls, state_dir: str | os.PathLike) -> "NodeKey":
        """The key in ``state_dir``, created there (mode 0600) on first use."""
        path = Path(state_dir) / KEY_FILE
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            key = cls.generate()
            pem = key._private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except OSError as exc:
                raise TrustUsageError(f"cannot create the node key {path}: "
                                      f"{exc.strerror or exc}") from None
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
                out.flush()
                os.fsync(out.fileno())
            return key
        except OSError as exc:
            raise TrustUsageError(f"cannot read the node key {path}: {exc.strerror or exc}") from None
        if path.stat().st_mode & 0o077:
            raise TrustUsageError(f"the node key {path} is readable by others: chmod 600 it")
        try:
            private = load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise TrustUsageError(f"the node key {path} is not a PEM private key: {exc}") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise TrustUsageError(f"the node key {path} is not an Ed25519 key")
        return cls(private)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)
