"""Quality: GX suites built for each release, privacy expectations, Data Docs and the release gate.

Importing this package does not import Great Expectations (seconds, hundreds of MB); only running
`validate_release` does. Custom GX expectations live in `quality.expectations` (import it before
loading a stored Kaifang suite).
"""

from quality.gx_loading import defer_scipy_stats

defer_scipy_stats()  # before any GX import (ours are in functions and in quality.expectations)

from quality.gate import validate_release, validate_release_chunks  # noqa: E402
from quality.model import Check, PreviousRelease  # noqa: E402
from quality.types import PUBLISHED_TYPES, published_type, published_types  # noqa: E402

__all__ = [
    "PUBLISHED_TYPES",
    "Check",
    "PreviousRelease",
    "published_type",
    "published_types",
    "validate_release",
    "validate_release_chunks",
]
