"""What a staged release folder may hold, and the checksums of what it holds.

The pipeline stages files; the catalog decides which of them become distributions. Only the three
open formats are accepted as data, anything else outside `quality/` is refused: an unexpected file
(a scratch dump, a log) must never be published by accident.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

# suffix -> (format name, IANA media type, EU file-type code)
DATA_FORMATS: dict[str, tuple[str, str, str]] = {
    ".csv": ("csv", "text/csv", "CSV"),
    ".parquet": ("parquet", "application/vnd.apache.parquet", "PARQUET"),
    ".json": ("json", "application/json", "JSON"),
}
QUALITY_DIR = "quality"
# Written by the catalog itself; a staged folder may not bring its own.
RESERVED = {"metadata.json", "datapackage.json", "dataset.jsonld", "SHA256SUMS"}
_CHUNK = 1 << 20


class StagedFolderError(ValueError):
    """The staged folder holds something the catalog will not publish; the message names it."""


@dataclass(frozen=True)
class DataFile:
    path: str  # relative, POSIX separators
    format: str
    media_type: str
    file_type: str
    bytes: int
    sha256: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def sha256_of(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a file, read in chunks so large releases do not fill memory."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _relative_files(folder: Path) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath)
        for name in dirnames + filenames:
            if (base / name).is_symlink():
                raise StagedFolderError(
                    f"staged folder holds a symbolic link: {(base / name).relative_to(folder)}"
                )
        found.extend((base / name).relative_to(folder).as_posix() for name in filenames)
    return sorted(found)


_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def scan_staged(folder: Path) -> tuple[list[DataFile], list[str]]:
    """Data files (distributions) and quality files of a staged folder; raises on anything else."""
    if not folder.is_dir():
        raise StagedFolderError(f"staged folder does not exist: {folder}")
    data: list[DataFile] = []
    quality: list[str] = []
    for rel in _relative_files(folder):
        parts = rel.split("/")
        if parts[0] == QUALITY_DIR and len(parts) > 1:
            quality.append(rel)
            continue
        if rel in RESERVED:
            raise StagedFolderError(f"staged folder may not contain {rel}: the catalog writes it")
        if not all(_SAFE_PART.match(part) for part in parts):
            raise StagedFolderError(f"file name not allowed in a release (use letters, digits, . _ -): {rel}")
        suffix = Path(rel).suffix.lower()
        if suffix not in DATA_FORMATS:
            raise StagedFolderError(
                f"not a publishable file: {rel} "
                "(data must be .csv, .parquet or .json; reports go under quality/)"
            )
        fmt, media, code = DATA_FORMATS[suffix]
        size, digest = sha256_of(folder / rel)
        data.append(DataFile(rel, fmt, media, code, size, digest))
    return data, quality


def manifest(folder: Path) -> str:
    """`sha256sum`-compatible listing of every file in a release, so anyone can verify a download."""
    lines = []
    for rel in _relative_files(folder):
        if rel == "SHA256SUMS":
            continue
        lines.append(f"{sha256_of(folder / rel)[1]}  {rel}")
    return "\n".join(lines) + "\n"
