"""Importing GX through Kaifang does not load SciPy's statistics, and they still work when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys, quality
print(type(sys.modules["scipy.stats"]).__name__)
import great_expectations, quality.expectations
stats = sys.modules["scipy.stats"]
print(type(stats).__name__)
import scipy
print(scipy.stats is stats)
print(round(float(stats.entropy([0.5, 0.5])), 6))
print(type(sys.modules["scipy.stats"]).__name__)
"""


def test_scipy_stats_loads_only_when_an_expectation_reads_from_it():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={"GX_ANALYTICS_ENABLED": "false", "PATH": "/usr/bin:/bin"}, check=True).stdout.split()
    assert out == ["_LazyModule", "_LazyModule", "True", "0.693147", "module"]
