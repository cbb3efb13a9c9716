"""The one registry of Kaifang's Chinese recognizers.

Adding an entity is adding a rule in ``rules.py`` and a class in ``recognizers.py`` listed in
``ALL_RECOGNIZERS``; everything else (the analyzer, ``scan_text``, the column profiler) picks
it up from here.
"""

from __future__ import annotations

from presidio_analyzer import RecognizerRegistry

from detectors.recognizers import ALL_RECOGNIZERS, LANGUAGE


def build_registry(language: str = LANGUAGE) -> RecognizerRegistry:
    """A fresh registry holding one instance of every Kaifang recognizer for ``language``."""
    registry = RecognizerRegistry(supported_languages=[language], global_regex_flags=0)
    for recognizer_class in ALL_RECOGNIZERS:
        registry.add_recognizer(recognizer_class(supported_language=language))
    return registry


def supported_entities() -> list[str]:
    return sorted({e for cls in ALL_RECOGNIZERS for e in cls(supported_language=LANGUAGE).supported_entities})
