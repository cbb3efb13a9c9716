"""`review_chain.required`: a release waits for a finished review chain like it waits for approval."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import reviews
from catalog.store import CatalogStore
from pipelines.approval import review_gate
from pipelines.spec import load_policy
from tests.catalog.helpers import build_catalog, make_record
from tests.operations.conftest import edit_yaml, only_specs

INSURANCE = "jinan-social-insurance-enrolment"


def test_the_gate_is_off_by_default_and_names_the_missing_chain(project: Path, tmp_path: Path):
    sample_catalog = build_catalog(tmp_path / "sample")
    shipped, _ = load_policy(project / "configs" / "policy.yaml")
    record = make_record("clinic-visits", cls="conditional")
    assert review_gate(record, "conditional", shipped, sample_catalog) is None
    edit_yaml(project / "configs" / "policy.yaml", **{"review_chain.required": True})
    gated, _ = load_policy(project / "configs" / "policy.yaml")
    assert "review chain incomplete" in (review_gate(record, "conditional", gated, sample_catalog) or "")
    unchanged = make_record("bus-ridership")
    assert review_gate(unchanged, "unconditional", gated, sample_catalog) is None  # open stays open: no chain
    case = reviews.submit(sample_catalog, "clinic-visits", "conditional", "含就诊信息，有条件开放", "agency")
    reviews.act(sample_catalog, case.id, "authority_reviewer", "agree", "同意", "authority")
    assert review_gate(record, "conditional", gated, sample_catalog) is not None  # checks not done yet
    lists = reviews.Checklists.default()
    for stage_items in (lists.formal_review, lists.technical_check):
        reviews.act(sample_catalog, case.id, "authority_reviewer", "pass", "通过", "authority",
                    ticked=list(stage_items))
    assert review_gate(record, "conditional", gated, sample_catalog) is None
    sample_catalog.close()


@pytest.mark.slow
def test_a_release_is_refused_until_the_chain_settles_its_class(prefect_harness, project: Path):
    from pipelines.flows import release_folder

    edit_yaml(project / "configs" / "policy.yaml", **{"review_chain.required": True})
    folder = only_specs(project, "social-insurance.yaml")
    catalog, policy = str(project / "catalog"), str(project / "configs" / "policy.yaml")
    first = release_folder(str(folder), catalog, policy, approval="operator")[0]
    assert (first["status"], first["failed_stage"]) == ("refused", "review")
    store = CatalogStore(project / "catalog")
    assert store.latest(INSURANCE) is None and store.history(INSURANCE)[0].failed_stage == "review"
    case = reviews.submit(store, INSURANCE, "conditional", "脱敏后可有条件开放（第九条）", "agency")
    reviews.act(store, case.id, "authority_reviewer", "agree", "同意", "authority")
    lists = reviews.Checklists.default()
    for stage_items in (lists.formal_review, lists.technical_check):
        reviews.act(store, case.id, "authority_reviewer", "pass", "通过", "authority", ticked=list(stage_items))
    second = release_folder(str(folder), catalog, policy, approval="operator")[0]
    assert second["status"] == "published"
    assert store.verify_audit().ok
    store.close()
