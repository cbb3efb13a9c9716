"""Deterministic data generators for the detector benchmarks (not a runtime package)."""
