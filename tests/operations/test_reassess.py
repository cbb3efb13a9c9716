"""Periodic re-assessment (Art. 9): which datasets would now qualify for a more open class; nothing published."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from catalog.store import CatalogStore
from pipelines.cli import main
from tests.operations.conftest import edit_yaml, only_specs

pytestmark = pytest.mark.slow
SOCIAL = "jinan-social-insurance-enrolment"


def test_reassessment_reports_what_would_qualify_and_publishes_nothing(prefect_harness, project):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from pipelines.flows import release_folder

    folder = only_specs(project, "social-insurance.yaml", "cultural-venues.yaml")
    # Held back as not open (catalog entry only) although its desensitized form would pass as conditional.
    edit_yaml(folder / "social-insurance.yaml", **{"open_class.target": "not_open"})
    # Not open on grounds desensitization cannot cure: never qualifies.
    shutil.copy(folder / "social-insurance.yaml", folder / "social-law.yaml")
    edit_yaml(folder / "social-law.yaml", id="jinan-social-insurance-law", **{
        "open_class.basis": ["personal_information", "law"]})
    policy = project / "configs" / "policy.yaml"
    released = release_folder(str(folder / "social-insurance.yaml"), str(project / "catalog"), str(policy))
    assert released[0]["decision"]["published_class"] == "not_open"
    store = CatalogStore(project / "catalog")
    before = (store.versions(SOCIAL), len(store.history(SOCIAL)), store.verify_audit().entries)

    result = CliRunner().invoke(main, ["reassess", str(folder), "--catalog", str(project / "catalog"),
                                       "--policy", str(policy), "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["dataset"]: row for row in json.loads(result.output)}
    assert (rows[SOCIAL]["current"], rows[SOCIAL]["current_from"], rows[SOCIAL]["candidate"]) == (
        "not_open", "catalog", "conditional")
    assert rows[SOCIAL]["status"] == "qualifies" and rows[SOCIAL]["smallest_class"] >= 5
    law = rows["jinan-social-insurance-law"]
    assert law["status"] == "does not qualify" and law["failed_checks"][0].startswith("basis_curable")
    assert rows["jinan-public-cultural-venues"]["status"] == "already unconditional"

    # Nothing published, no attempt recorded, no scratch data left behind.
    assert (store.versions(SOCIAL), len(store.history(SOCIAL)), store.verify_audit().entries) == before
    assert store.latest("jinan-social-insurance-law") is None
    assert not (project / "catalog" / ".runs").exists() or not any((project / "catalog" / ".runs").iterdir())
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["reassessment"])))
    assert artifacts and f"**Now qualify for a more open class:** {SOCIAL}" in artifacts[0].data
