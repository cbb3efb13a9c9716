"""How GX is set up: imported lazily, in memory, writing only the Data Docs folder; suites reload."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from quality import validate_release
from quality.plan import plan_checks
from quality.run import build_suite
from tests.quality.conftest import NOW

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
from pathlib import Path
import quality
lazy = "great_expectations" not in sys.modules
import pandas as pd
summary = quality.validate_release(pd.DataFrame({"a": ["1", "2"], "b": ["x", "y"]}), dataset_id="iso",
                                   docs_dir=Path(sys.argv[1]))
import great_expectations
print(json.dumps({"lazy": lazy, "passed": summary.passed, "index": summary.docs_index,
                  "analytics": __import__("os").environ.get("GX_ANALYTICS_ENABLED")}))
"""


def test_gx_is_lazy_in_memory_and_writes_only_the_docs_folder(tmp_path: Path) -> None:
    home, cwd, docs = tmp_path / "home", tmp_path / "cwd", tmp_path / "release" / "quality"
    home.mkdir()
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GX_")}
    env.update({"HOME": str(home), "PYTHONPATH": str(ROOT)})
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(docs)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"lazy": True, "passed": True, "index": "quality/index.html", "analytics": "false"}
    # No gx/ project in the working folder, no ~/.great_expectations: only the Data Docs folder.
    assert list(home.rglob("*")) == [] and list(cwd.rglob("*")) == []
    assert (docs / "index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "home", "release"]


def test_data_docs_are_a_static_site_per_release(tmp_path: Path) -> None:
    frame = pd.DataFrame({"编号": ["A1", "A2"], "区县": ["历下区", "市中区"]})
    summary = validate_release(frame, dataset_id="docs-demo", key=["编号"], now=NOW,
                               docs_dir=tmp_path / "staged" / "quality")
    assert summary.docs_index == "quality/index.html"
    site = tmp_path / "staged" / "quality"
    index = (tmp_path / "staged" / summary.docs_index).read_text(encoding="utf-8")
    assert "docs-demo" in index
    pages = list(site.rglob("*.html"))
    assert {"expectations", "validations"} <= {p.relative_to(site).parts[0] for p in pages}
    # Viewing a published report does not call GX's web-asset bucket, and tutorial GIFs are not shipped.
    assert not any("amazonaws.com" in p.read_text(encoding="utf-8") for p in pages)
    assert sum(f.stat().st_size for f in site.rglob("*") if f.is_file()) < 1_500_000


def test_a_stored_suite_reloads_with_the_custom_expectations() -> None:
    import great_expectations as gx

    checks = plan_checks(pd.DataFrame({"a": ["1"], "b": ["2"]}), now=NOW, quasi_identifiers=["a", "b"], k=2,
                         published_as_is=["b"], sensitive_entities=["CN_RESIDENT_ID"])
    stored = json.dumps(build_suite("roundtrip", checks).to_json_dict(), ensure_ascii=False)
    loaded = gx.ExpectationSuite(**json.loads(stored))
    types = {e.expectation_type for e in loaded.expectations}
    assert {"expect_column_to_have_published_type", "expect_rows_to_not_be_empty",
            "expect_compound_columns_to_be_k_anonymous", "expect_column_to_hold_no_raw_identifier",
            "expect_column_published_as_is_to_hold_no_sensitive_entity"} <= types
    assert all(e.severity in ("critical", "warning") for e in loaded.expectations)
