"""The pseudonymization key: read from the environment or a key file, never stored beside outputs.

One key gives the same pseudonyms in every release, so published tables stay joinable; rotating it
changes them all. Only a fingerprint of the key ever enters a release record.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

KEY_ENV = "KAIFANG_PSEUDONYM_KEY"
KEY_FILE_ENV = "KAIFANG_KEY_FILE"
MIN_KEY_BYTES = 16


class KeyError_(ValueError):
    """No usable key; the message says where one is looked for."""


def load_key(default_file: Path | None = None) -> bytes:
    value = os.environ.get(KEY_ENV)
    if value:
        key = value.encode("utf-8")
    else:
        path_text = os.environ.get(KEY_FILE_ENV)
        path = Path(path_text) if path_text else default_file
        if path is None or not path.is_file():
            raise KeyError_(
                f"no pseudonymization key: set {KEY_ENV}, or {KEY_FILE_ENV} to a key file "
                "(`kaifang keygen` writes one)"
            )
        key = path.read_bytes().strip()
    if len(key) < MIN_KEY_BYTES:
        raise KeyError_(f"the pseudonymization key is shorter than {MIN_KEY_BYTES} bytes")
    return key


def key_fingerprint(key: bytes) -> str:
    """Tells two keys apart in a record without revealing either."""
    return hashlib.sha256(b"kaifang-key-fingerprint\x00" + key).hexdigest()[:16]


def write_new_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
