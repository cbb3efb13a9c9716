"""Optional push of releases to a CKAN portal through `ckanapi`.

CKAN cannot be embedded (it needs PostgreSQL, Solr and Redis), so the static DCAT feed is the
primary interface and this push is the optional second. The package name is the dataset id and
existing resources keep their CKAN ids (matched by file path), so re-publishing updates one
package instead of creating duplicates, the commonest harvesting complaint.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Protocol

from catalog.entry import conditions_text, dataset_url, published_class
from catalog.record import ReleaseRecord
from catalog.vocab import CLASS_ACCESS_RIGHT, FREQUENCY_EU, licence_uri

log = logging.getLogger("kaifang.catalog.ckan")
URL_ENV, KEY_ENV, ORG_ENV = "KAIFANG_CKAN_URL", "KAIFANG_CKAN_KEY", "KAIFANG_CKAN_ORG"


class CkanClient(Protocol):
    """The part of `ckanapi.RemoteCKAN().action` used here (a fake in tests)."""

    def package_show(self, **kwargs: Any) -> dict[str, Any]: ...
    def package_create(self, **kwargs: Any) -> dict[str, Any]: ...
    def package_update(self, **kwargs: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class CkanTarget:
    url: str
    api_key: str
    owner_org: str | None = None

    @classmethod
    def from_env(cls) -> CkanTarget | None:
        """Configured only when both $KAIFANG_CKAN_URL and $KAIFANG_CKAN_KEY are set."""
        url, key = os.environ.get(URL_ENV), os.environ.get(KEY_ENV)
        return cls(url, key, os.environ.get(ORG_ENV) or None) if url and key else None

    def client(self) -> CkanClient:
        import ckanapi

        return ckanapi.RemoteCKAN(self.url, apikey=self.api_key, user_agent="kaifang-catalog").action


def package_dict(record: ReleaseRecord, base_url: str, owner_org: str | None = None) -> dict[str, Any]:
    """The CKAN package for the latest release: same titles, ids and files as the DCAT feed."""
    meta = record.dataset
    cls = published_class(record)
    page = dataset_url(base_url, meta.id)
    entry = record.catalog_entry or {}
    extras = {
        "identifier": meta.id,
        "uri": page,
        "access_rights": "http://publications.europa.eu/resource/authority/access-right/" + CLASS_ACCESS_RIGHT[cls],
        "frequency": "http://publications.europa.eu/resource/authority/frequency/"
        + FREQUENCY_EU.get(meta.update_frequency, "UNKNOWN"),
        "publisher_name": meta.publisher,
        "theme": meta.theme,
        "开放属性": entry.get("开放属性", ""),
        "开放条件": conditions_text(record),
        "更新频率": entry.get("更新频率", ""),
        "version": str(record.version),
        "issued": record.issued.isoformat() if record.issued else "",
        "modified": record.published_at.isoformat() if record.published_at else "",
    }
    resources = []
    if cls != "not_open":
        for output in record.outputs:
            resources.append(
                {
                    "name": output.name,
                    "url": f"{page}/versions/{record.version}/files/{output.path}",
                    "format": output.format.upper(),
                    "mimetype": output.media_type,
                    "size": output.bytes,
                    "hash": f"sha256:{output.sha256}",
                    "description": f"{meta.title}（{output.format.upper()}，第 {record.version} 版）",
                    "kaifang_path": output.path,
                }
            )
    package: dict[str, Any] = {
        "name": meta.id,
        "title": meta.title,
        "notes": meta.description,
        "url": page,
        "version": str(record.version),
        "license_id": meta.licence,
        "license_url": licence_uri(meta.licence),
        "maintainer": meta.publisher,
        "maintainer_email": meta.contact if meta.contact and "@" in meta.contact else None,
        "tags": [{"name": word} for word in dict.fromkeys(meta.keywords)],
        "extras": [{"key": key, "value": value} for key, value in extras.items()],
        "resources": resources,
        "private": False,
    }
    if owner_org:
        package["owner_org"] = owner_org
    return {key: value for key, value in package.items() if value is not None}


def push(record: ReleaseRecord, client: CkanClient, base_url: str, owner_org: str | None = None) -> str:
    """Create or update the package; returns "created" or "updated"."""
    import ckanapi

    package = package_dict(record, base_url, owner_org)
    try:
        existing = client.package_show(id=package["name"])
    except ckanapi.NotFound:
        client.package_create(**package)
        return "created"
    known = {r.get("kaifang_path"): r.get("id") for r in existing.get("resources", [])}
    for resource in package["resources"]:
        if known.get(resource["kaifang_path"]):
            resource["id"] = known[resource["kaifang_path"]]
    client.package_update(id=existing["id"], **package)
    return "updated"


def push_quietly(record: ReleaseRecord, target: CkanTarget, base_url: str) -> str | None:
    """Push after a publish: the release already stands, so a CKAN outage is logged, not raised."""
    try:
        return push(record, target.client(), base_url, target.owner_org)
    except Exception as error:  # noqa: BLE001 - any client or network error
        log.warning("CKAN push of %s v%s failed: %s", record.dataset.id, record.version, type(error).__name__)
        return None
