"""CKAN push, against a fake action client: no CKAN can run here (it needs Solr and Redis)."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import ckanapi

from catalog.ckan import CkanTarget, package_dict, push
from catalog.store import CatalogStore
from tests.catalog.helpers import make_record, stage


class FakeCkan:
    """Keeps packages by name and resource ids the way CKAN's action API does."""

    def __init__(self) -> None:
        self.packages: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []

    def _store(self, package: dict[str, Any]) -> dict[str, Any]:
        package = copy.deepcopy(package)
        for resource in package.get("resources", []):
            resource.setdefault("id", uuid.uuid4().hex)
        self.packages[package["name"]] = package
        return package

    def package_show(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append("show")
        found = [p for p in self.packages.values() if kwargs["id"] in (p["name"], p["id"])]
        if not found:
            raise ckanapi.NotFound("Not found")
        return copy.deepcopy(found[0])

    def package_create(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append("create")
        assert kwargs["name"] not in self.packages
        return self._store(kwargs | {"id": uuid.uuid4().hex})

    def package_update(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append("update")
        return self._store(kwargs)


def test_republish_updates_one_package(tmp_path: Path, monkeypatch: Any) -> None:
    fake = FakeCkan()
    monkeypatch.setattr(CkanTarget, "client", lambda self: fake)
    store = CatalogStore(tmp_path / "cat", ckan=CkanTarget("https://ckan.example.cn", "key", "jinan"))
    store.publish(make_record(), stage(tmp_path / "s1"))
    first_ids = {r["kaifang_path"]: r["id"] for r in fake.packages["bus-ridership"]["resources"]}
    store.publish(make_record(run_id="run-2"), stage(tmp_path / "s2", offset=3))
    assert fake.calls == ["show", "create", "show", "update"]
    (package,) = fake.packages.values()
    assert package["version"] == "2" and package["owner_org"] == "jinan"
    assert {r["kaifang_path"]: r["id"] for r in package["resources"]} == first_ids  # stable resource ids
    assert all("/versions/2/files/" in r["url"] for r in package["resources"])
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["identifier"] == "bus-ridership" and extras["access_rights"].endswith("/PUBLIC")
    store.close()


def test_ckan_outage_does_not_undo_the_release(tmp_path: Path, monkeypatch: Any) -> None:
    def broken(self: CkanTarget) -> Any:
        raise ConnectionError("ckan down")

    monkeypatch.setattr(CkanTarget, "client", broken)
    store = CatalogStore(tmp_path / "cat", ckan=CkanTarget("https://ckan.example.cn", "key"))
    assert store.publish(make_record(), stage(tmp_path / "s")).version == 1
    assert store.latest("bus-ridership").version == 1
    store.close()


def test_not_open_package_has_no_resources() -> None:
    record = make_record("court-cases", cls="not_open")
    record.version = 1
    package = package_dict(record, "http://localhost:8000")
    assert package["resources"] == [] and package["name"] == "court-cases"
    fake = FakeCkan()
    assert push(record, fake, "http://localhost:8000") == "created"
    assert push(record, fake, "http://localhost:8000") == "updated"
    assert len(fake.packages) == 1


def test_configured_from_environment(monkeypatch: Any) -> None:
    monkeypatch.delenv("KAIFANG_CKAN_URL", raising=False)
    assert CkanTarget.from_env() is None
    monkeypatch.setenv("KAIFANG_CKAN_URL", "https://ckan.example.cn")
    monkeypatch.setenv("KAIFANG_CKAN_KEY", "k")
    assert CkanTarget.from_env() == CkanTarget("https://ckan.example.cn", "k", None)
