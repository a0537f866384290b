"""Variable values: validation, encryption (AES-GCM), compression, and decoding for expressions.

A value travels as ``{encoding, value, encrypted}`` where ``value`` is a string. ``json`` values
must be valid JSON; other encodings (``text``, ``base64``, ...) are opaque strings. Encrypted
values are stored as ``nonce || ciphertext`` with the id of the key that encrypted them, so keys
can be rotated: the first key of ``BATON_ENCRYPTION_KEYS`` encrypts, every listed key decrypts.
Values above the compression threshold are stored zlib-compressed.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.errors import EngineError, ErrorCause, ErrorKind

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")
MAX_NAME_LENGTH = 255
MAX_ENCODING_LENGTH = 64
_NONCE_BYTES = 12


@dataclass(frozen=True)
class VariableData:
    """A variable value as on the wire."""

    encoding: str
    value: str
    encrypted: bool = False

    @property
    def size(self) -> int:
        """Bytes the value takes (UTF-8), which count against the per-instance limit."""
        return len(self.value.encode("utf-8"))


@dataclass(frozen=True)
class VariableChange:
    """Set (``data``) or delete (``data is None``) one variable."""

    name: str
    data: VariableData | None


@dataclass(frozen=True)
class StoredValue:
    """A value as stored: plain text, or bytes when compressed or encrypted."""

    value: str | None
    blob: bytes | None
    is_encrypted: bool
    is_compressed: bool
    key_id: str | None
    size: int


class Keyring:
    """AES-GCM keys by id; the first one encrypts."""

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        self._keys = dict(keys)
        self.current = next(iter(self._keys), None)

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        """Parse ``id1:base64key,id2:base64key`` (keys of 16, 24 or 32 bytes)."""
        keys: dict[str, bytes] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key_id, sep, encoded = part.partition(":")
            if not sep or not key_id:
                raise ValueError("BATON_ENCRYPTION_KEYS entries must look like id:base64key")
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"encryption key {key_id} is not valid base64") from None
            if len(key) not in (16, 24, 32):
                raise ValueError(f"encryption key {key_id} must be 16, 24 or 32 bytes, not {len(key)}")
            keys[key_id] = key
        return cls(keys)

    def encrypt(self, plain: bytes) -> tuple[str, bytes]:
        """Encrypt with the current key; returns (key id, nonce || ciphertext)."""
        if self.current is None:
            raise EngineError(
                ErrorKind.VALIDATION,
                "encryption not configured",
                "a variable asks for encryption, but BATON_ENCRYPTION_KEYS is not set",
            )
        nonce = os.urandom(_NONCE_BYTES)
        return self.current, nonce + AESGCM(self._keys[self.current]).encrypt(nonce, plain, None)

    def decrypt(self, key_id: str, blob: bytes) -> bytes:
        """Decrypt a value encrypted with ``key_id``."""
        key = self._keys.get(key_id)
        if key is None:
            raise EngineError(
                ErrorKind.BUG,
                "encryption key missing",
                f"a variable was encrypted with key {key_id!r}, which BATON_ENCRYPTION_KEYS no longer lists",
            )
        try:
            return AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], None)
        except InvalidTag:
            raise EngineError(
                ErrorKind.BUG, "variable cannot be decrypted", f"key {key_id!r} does not decrypt the stored value"
            ) from None


def validate_changes(changes: list[VariableChange], pointer: str, limit: int) -> list[ErrorCause]:
    """Causes for invalid names, encodings, JSON values and too many variables."""
    causes: list[ErrorCause] = []
    if len(changes) > limit:
        causes.append(ErrorCause(pointer, "max", f"must contain at most {limit} variables", str(len(changes))))
    for change in changes:
        at = f"{pointer}/{change.name}"
        if not NAME_PATTERN.match(change.name) or len(change.name) > MAX_NAME_LENGTH:
            causes.append(
                ErrorCause(
                    at,
                    "variable_name",
                    f"must match regex {NAME_PATTERN.pattern} and be at most {MAX_NAME_LENGTH} characters",
                    change.name,
                )
            )
        data = change.data
        if data is None:
            continue
        if not data.encoding or len(data.encoding) > MAX_ENCODING_LENGTH:
            causes.append(ErrorCause(f"{at}/encoding", "required", "is required (at most 64 characters)"))
        if data.encoding == "json":
            try:
                json.loads(data.value)
            except ValueError as exc:
                causes.append(ErrorCause(f"{at}/value", "json", f"is not valid JSON: {exc}", data.value[:100]))
            except RecursionError:
                causes.append(ErrorCause(f"{at}/value", "json", "is nested too deeply", data.value[:100]))
    return causes


def store(data: VariableData, keyring: Keyring, compress_bytes: int) -> StoredValue:
    """Turn a wire value into its stored form."""
    raw = data.value.encode("utf-8")
    compressed = len(raw) > compress_bytes
    if compressed:
        raw = zlib.compress(raw, 6)
    if data.encrypted:
        key_id, blob = keyring.encrypt(raw)
        return StoredValue(None, blob, True, compressed, key_id, data.size)
    if compressed:
        return StoredValue(None, raw, False, True, None, data.size)
    return StoredValue(data.value, None, False, False, None, data.size)


def load(
    encoding: str,
    value: str | None,
    blob: bytes | None,
    is_encrypted: bool,
    is_compressed: bool,
    key_id: str | None,
    keyring: Keyring,
) -> VariableData:
    """Turn a stored value back into its wire form (decrypted)."""
    if value is not None and not is_encrypted and not is_compressed:
        return VariableData(encoding, value, False)
    raw = bytes(blob or b"")
    if is_encrypted:
        raw = keyring.decrypt(key_id or "", raw)
    if is_compressed:
        raw = zlib.decompress(raw)
    return VariableData(encoding, raw.decode("utf-8"), is_encrypted)


def to_value(data: VariableData) -> Any:
    """The value expressions see: JSON is decoded, every other encoding is its string."""
    if data.encoding == "json":
        try:
            return json.loads(data.value)
        except (ValueError, RecursionError):
            return None
    return data.value


def from_value(value: Any) -> VariableData:
    """A JSON variable holding a Python value (for output mappings and message variables)."""
    return VariableData("json", json.dumps(value, separators=(",", ":")))


@dataclass(frozen=True)
class Policy:
    """How variables are stored and what is allowed: keys and limits from the settings."""

    keyring: Keyring
    compress_bytes: int = 1024 * 1024
    max_instance_bytes: int = 5 * 1024 * 1024
    max_per_request: int = 100


def check(changes: Sequence[VariableChange], pointer: str, policy: Policy) -> None:
    """Refuse invalid names, encodings and JSON values, or too many variables (VALIDATION)."""
    causes = validate_changes(list(changes), pointer, policy.max_per_request)
    if causes:
        raise EngineError(ErrorKind.VALIDATION, "invalid variables", "; ".join(c.detail for c in causes), causes)
