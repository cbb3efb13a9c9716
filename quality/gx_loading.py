"""What importing Great Expectations loads without needing it: SciPy's statistics, deferred.

Three GX modules (the KL-divergence expectation and two Kolmogorov-Smirnov metrics) import
``scipy.stats`` at their top, and GX imports all its expectations when it is first imported. Kaifang's
suites use neither, yet ``scipy.stats`` cost 1.1-1.9 CPU-s of each validated release (a small
release validates in less). :func:`defer_scipy_stats` puts a module in its place that loads on first
attribute access (the standard library's ``importlib.util.LazyLoader``): a suite that does use those
expectations still gets the real module, at the moment it first reads from it.

Finding the module imports the ``scipy`` package itself (9 ms, its submodules load on demand); it is
set as the package's attribute, as a finished import of a submodule leaves it, so that GX's
``from scipy import stats`` takes the deferred module without loading it.
"""

from __future__ import annotations

import importlib.util
import sys


def defer_scipy_stats() -> None:
    """Before GX is first imported: ``scipy.stats`` becomes a module loaded on first use (once)."""
    if "scipy.stats" in sys.modules or "great_expectations" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec("scipy.stats")
    except ImportError:
        return
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["scipy.stats"] = module
    spec.loader.exec_module(module)
    sys.modules["scipy"].stats = module
