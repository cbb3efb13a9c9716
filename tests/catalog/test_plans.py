"""Opening plans (Art. 10 ¶1-2, Art. 11): checked like specs, fulfilled by releases, reported per agency."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.events import trail
from catalog.portal import create_app
from catalog.portal.governance import GovernanceSettings
from catalog.record import utc_now
from catalog.store import CatalogStore
from pipelines.commands.governance import plans_group
from pipelines.plans import OpeningPlan, load_plans, plan_rows, report
from pipelines.spec import SpecError
from tests.catalog.helpers import build_catalog, free_port, serving

ROOT = Path(__file__).resolve().parents[2]
TODAY = utc_now().date()
YEAR = TODAY.year


def item(dataset_id: str, planned: date, sought: str = "unconditional", priority: str = "公共服务") -> dict:
    return {"id": dataset_id, "title": f"{dataset_id} 标题", "class_sought": sought, "priority": priority,
            "planned": planned.isoformat()}


def write_plan(folder: Path, name: str, agency: str, *items: dict, year: int = YEAR) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"agency": agency, "year": year, "datasets": list(items)}, allow_unicode=True),
                    "utf-8")
    return path


@pytest.fixture
def plans_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plans"
    end, start = date(YEAR, 12, 31), date(YEAR, 1, 1)
    write_plan(folder, "transport", "济南市交通运输局", item("bus-ridership", end), item("road-works", start),
               item("metro-lines", end))
    write_plan(folder, "health", "济南市卫生健康委员会", item("clinic-visits", end))  # sought more than given
    write_plan(folder, "court", "济南市中级人民法院", item("court-cases", start, "conditional", "社会治理"))
    return folder


def test_the_shipped_plans_are_valid() -> None:
    plans = load_plans(ROOT / "configs" / "plans")
    assert {p.plan.agency for p in plans} >= {"济南市人力资源和社会保障局"}
    code, out = invoke("check", str(ROOT / "configs" / "plans"))
    assert code == 0 and "valid" in out


@pytest.mark.parametrize("change, message", [
    ({"year": 2026, "datasets": [item("a-b-c", date(2027, 1, 1))]}, "outside the plan year 2026"),
    ({"datasets": [item("a-b-c", date(YEAR, 5, 1), priority="旅游")]}, "datasets.0.priority: expected"),
    ({"datasets": [item("Bad_Id", date(YEAR, 5, 1))]}, "datasets.0.id: use 3-80 lowercase"),
    ({"datasets": [item("a-b-c", date(YEAR, 5, 1), sought="not_open")]}, "datasets.0.class_sought"),
    ({"datasets": [item("a-b-c", date(YEAR, 5, 1))] * 2}, "a-b-c is planned twice"),
    ({"owner": "x"}, "owner: unknown key"),
])
def test_a_bad_plan_is_one_line_naming_the_file_and_the_key(tmp_path: Path, change: dict, message: str) -> None:
    data = {"agency": "济南市交通运输局", "year": YEAR, "datasets": [item("a-b-c", date(YEAR, 5, 1))]} | change
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(SpecError) as caught:
        load_plans(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value) and "\n" not in str(caught.value)


def test_one_dataset_in_two_plans_of_a_year_is_refused(tmp_path: Path) -> None:
    write_plan(tmp_path, "a", "济南市交通运输局", item("bus-ridership", date(YEAR, 5, 1)))
    write_plan(tmp_path, "b", "济南市公安局", item("bus-ridership", date(YEAR, 6, 1)))
    with pytest.raises(SpecError, match="also planned"):
        load_plans(tmp_path)


@settings(max_examples=60, deadline=None)
@given(year=st.integers(2000, 2100), planned=st.dates(date(1999, 1, 1), date(2101, 12, 31)))
def test_a_planned_date_is_accepted_exactly_when_it_lies_in_the_plan_year(year: int, planned: date) -> None:
    data = {"agency": "某单位", "year": year, "datasets": [item("a-b-c", planned)]}
    try:
        OpeningPlan.model_validate(data)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == (planned.year == year)


def test_releases_fulfil_plans_and_the_report_counts_on_time_per_agency(sample_catalog: CatalogStore,
                                                                       plans_dir: Path) -> None:
    rows = {r["id"]: r for r in plan_rows(sample_catalog, load_plans(plans_dir), TODAY)}
    assert rows["bus-ridership"]["status"] == "opened_on_time"
    assert rows["bus-ridership"]["first_open_version"] == 1  # the first open release fulfils it
    assert rows["road-works"]["status"] == ("opened_late" if date(YEAR, 1, 1) < TODAY else "opened_on_time")
    assert rows["metro-lines"]["status"] == ("planned" if date(YEAR, 12, 31) > TODAY else "overdue")
    assert rows["clinic-visits"]["status"] == "opened_lower_class"
    assert rows["court-cases"]["status"] == "overdue"  # a not-open entry does not open it
    summary = {s["agency"]: s for s in report(list(rows.values()))}
    assert summary["济南市交通运输局"]["planned"] == 3 and summary["济南市交通运输局"]["on_time"] == 1
    assert summary["济南市中级人民法院"] == summary["济南市中级人民法院"] | {"planned": 1, "opened": 0, "overdue": 1}


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(plans_group, list(args))
    return result.exit_code, result.output


def test_cli_report_and_adopt(sample_catalog: CatalogStore, plans_dir: Path) -> None:
    root = str(sample_catalog.root)
    code, out = invoke("report", str(plans_dir), "--catalog", root, "--year", str(YEAR))
    assert code == 0 and "济南市交通运输局: 3 /" in out and "court-cases" in out and "overdue" in out
    code, out = invoke("report", str(plans_dir), "--catalog", root, "--year", str(YEAR - 1))
    assert "no planned datasets" in out
    code, out = invoke("adopt", str(plans_dir / "transport.yaml"), "--catalog", root)
    assert code == 0 and "Adopted" in out
    event = trail(sample_catalog, "plan")[-1].entry
    assert event["event"]["agency"] == "济南市交通运输局" and len(event["event"]["datasets"]) == 3
    assert sample_catalog.verify_audit().ok
    (plans_dir / "broken.yaml").write_text("agency: [\n", "utf-8")
    code, out = invoke("check", str(plans_dir))
    assert code == 2 and "invalid YAML" in out


def test_the_portal_shows_planned_datasets_over_http(tmp_path: Path, plans_dir: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = build_catalog(tmp_path / "catalog", base_url=base)
    app = create_app(store, base, None, governance=GovernanceSettings(plans_dir=plans_dir))
    with serving(app, port), httpx.Client(base_url=base) as client:
        page = client.get("/plans").text
        assert "metro-lines" in page and ("计划开放" in page or "逾期未开放" in page)
        assert 'href="/datasets/bus-ridership"' in page and "按期开放" in page
        assert "已开放（低于计划类别）" in page and "济南市卫生健康委员会" in page
        (plans_dir / "broken.yaml").write_text("agency: [\n", "utf-8")
        broken = client.get("/plans")
        assert broken.status_code == 200 and "开放计划文件有误" in broken.text and str(plans_dir) not in broken.text
    store.close()
