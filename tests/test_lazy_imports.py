"""What each entry point imports: the fixed cost of a command is what it needs, no more (issue 13).

Measured on a loaded 2-core machine: Great Expectations costs 2.8 CPU-s to import, Prefect's server
application about 1 CPU-s in the command's process, scipy.stats 0.6 (the ``scipy`` package alone
9 ms; ``quality`` leaves ``scipy.stats`` a module that loads on first use, which counts as not
loaded), Presidio with spaCy and jieba 1.1, pandas with pyarrow about 1. These tests pin which
entry points may import them; they time nothing. Each runs in a fresh interpreter, since this test
process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Imported by no command line that only parses arguments or prints help.
HEAVY = ["prefect", "great_expectations", "presidio_analyzer", "spacy", "jieba", "scipy", "pandas", "numpy",
         "pyarrow", "sqlalchemy", "pydantic", "rdflib", "frictionless", "fastapi", "httpx"]
# Imported by no flow module: Prefect's server runs in its own process, GX only inside validation.
NEVER_WITH_FLOWS = ["prefect.server", "fastapi", "uvicorn", "alembic", "great_expectations", "scipy.stats",
                    "rdflib", "frictionless"]


def imported_after(code: str, candidates: list[str]) -> list[str]:
    """Which of `candidates` are loaded after running `code` in a fresh interpreter (a lazy module is not)."""
    probe = (f"import json, sys\n{code}\n"
             f"print(json.dumps([m for m in {candidates!r} if m in sys.modules\n"
             f"                  and type(sys.modules[m]).__name__ != '_LazyModule']))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


HELP = """
from pipelines.cli import main
try:
    main({args!r})
except SystemExit:
    pass
"""


@pytest.mark.parametrize("args", [["--help"], ["release", "--help"], ["check", "--help"], ["scan", "--help"],
                                  ["catalog", "--help"], ["deploy", "--help"]])
def test_help_imports_nothing_heavy(args):
    assert imported_after(HELP.format(args=args), HEAVY) == []


def test_the_flows_import_neither_prefects_server_nor_great_expectations_nor_scipy():
    assert imported_after("import pipelines.flows", NEVER_WITH_FLOWS) == []


def test_the_guard_and_the_quality_gate_import_no_scipy():
    assert imported_after("import anonymizers.guard, anonymizers.guard.uniqueness, quality", ["scipy.stats"]) == []
