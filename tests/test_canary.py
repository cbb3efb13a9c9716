"""Nothing raw leaks: planted identifiers must not appear anywhere a release run writes.

The run goes through the real front door (`kaifang release` in a subprocess) with Prefect's own
temporary server and debug logging, then every file the run could have touched is searched:
the catalog (files and index), Prefect's home (database, result storage, logs), Kaifang's state
folder, and everything printed.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from stdnum.cn import ric

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
_BODY = "37010219770707517"
CANARY_ID = _BODY + ric.calc_check_digit(_BODY + "0")
CANARIES = {
    "resident id": CANARY_ID,
    "id body": _BODY,
    "mobile": "13988776655",
    "name": "龚璇玑",
    "address": "梧桐巷77号9号楼3单元1101室",
    "ragged-row phone": "15866554433",
    "remark phone": "13655443322",
    "remark id": "370102198808080014",
}


def plant(source: Path, target: Path) -> None:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[7].update({"姓名": CANARIES["name"], "身份证号": CANARY_ID, "手机号码": CANARIES["mobile"],
                    "住址": "济南市历下区" + CANARIES["address"],
                    "备注": f"本人联系电话变更为{CANARIES['remark phone']}，代办人身份证号{CANARIES['remark id']}。"})
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def searchable_files(*folders: Path):
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                yield path


def test_planted_identifiers_are_nowhere_after_a_release(tmp_path):
    specs = tmp_path / "specs"
    inputs = specs / "input"  # under the specs' folder: sources elsewhere are refused
    inputs.mkdir(parents=True)
    plant(ROOT / "configs" / "samples" / "social_insurance.csv", inputs / "social_insurance.csv")
    spec = yaml.safe_load((ROOT / "configs" / "datasets" / "social-insurance.yaml").read_text(encoding="utf-8"))
    spec["source"]["file"]["path"] = str(inputs / "social_insurance.csv")
    spec["privacy"]["hierarchies"] = str(ROOT / "configs" / "hierarchies" / "social-insurance")
    (specs / "social.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    # A second dataset fails on a ragged row holding a canary: its error must not quote it.
    (inputs / "ragged.csv").write_text(f"姓名,手机号码\n张三,{CANARIES['ragged-row phone']},x\n", encoding="utf-8")
    broken = dict(spec, id="ragged-canary", columns={}, quality={}, privacy={},
                  open_class={"declared": "unconditional"}, source={"file": {"path": str(inputs / "ragged.csv")}})
    (specs / "ragged.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")

    state, catalog = tmp_path / "state", tmp_path / "catalog"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KAIFANG_"))}
    env.update({
        "KAIFANG_STATE": str(state), "PREFECT_HOME": str(state / "prefect"),
        "KAIFANG_PSEUDONYM_KEY": "canary-test-key-0123456789abcdef",
        "PREFECT_LOGGING_LEVEL": "DEBUG", "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "DEBUG",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL": "DEBUG",
    })
    kaifang = shutil.which("kaifang", path=str(Path(sys.executable).parent)) or "kaifang"
    run = subprocess.run(
        [kaifang, "release", str(specs), "--catalog", str(catalog), "--policy", str(ROOT / "configs" / "policy.yaml")],
        capture_output=True, env=env, cwd=tmp_path, timeout=600,
    )
    printed = run.stdout + run.stderr
    assert run.returncode == 1, printed.decode(errors="replace")[-2000:]  # the ragged dataset failed
    assert b"jinan-social-insurance-enrolment: published" in run.stderr
    assert b"ragged-canary: failed" in run.stderr

    files = list(searchable_files(catalog, state))
    assert any(p.name == "prefect.db" for p in files), "Prefect's database should have been searched"
    assert any(p.name == "data.csv" for p in files), "the published files should have been searched"
    for label, canary in CANARIES.items():
        needle = canary.encode("utf-8")
        assert needle not in printed, f"{label} printed by the run"
        leaks = [str(p.relative_to(tmp_path)) for p in files if needle in p.read_bytes()]
        assert not leaks, f"{label} found in {leaks}"
    assert not (catalog / ".runs").exists() or not any((catalog / ".runs").rglob("*.parquet"))
