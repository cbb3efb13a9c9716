"""Quality: GX suites built for each release, privacy expectations, Data Docs and the release gate.

Importing this package does not import Great Expectations (seconds, hundreds of MB); only running
`validate_release` does. Custom GX expectations live in `quality.expectations` (import it before
loading a stored Kaifang suite).
"""

from quality.gate import validate_release, validate_release_chunks
from quality.model import Check, PreviousRelease
from quality.types import PUBLISHED_TYPES, published_type, published_types

__all__ = [
    "PUBLISHED_TYPES",
    "Check",
    "PreviousRelease",
    "published_type",
    "published_types",
    "validate_release",
    "validate_release_chunks",
]
