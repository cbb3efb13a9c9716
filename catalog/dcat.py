"""DCAT-AP 3 JSON-LD for one dataset and for the whole catalog, as views of release records.

Harvesters (ckanext-dcat, data.europa.eu, piveau) duplicate datasets on re-harvest when identifiers
move, so the dataset URI and `dct:identifier` depend only on the dataset id, never on the version;
each version's files get their own download URLs under the stable distribution URIs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from catalog.dp_meta import statement
from catalog.entry import DEFAULT_BASE_URL, conditions_text, dataset_url, published_class
from catalog.record import ReleaseRecord
from catalog.vocab import (
    CLASS_ACCESS_RIGHT,
    EU_ACCESS_RIGHT,
    EU_FILE_TYPE,
    EU_FREQUENCY,
    EU_THEME,
    FREQUENCY_EU,
    IANA_MEDIA,
    eu_theme,
    licence_uri,
)

CONTEXT: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatap": "http://data.europa.eu/r5r/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
FILE_TYPE = {"csv": "CSV", "parquet": "PARQUET", "json": "JSON"}
CATALOG_TITLE = "Kaifang 公共数据开放目录"
CATALOG_DESCRIPTION = "经脱敏与质量检查后发布的公共数据集目录（DCAT-AP 3）。"


def _zh(text: str) -> dict[str, str]:
    return {"@value": text, "@language": "zh"}


def _when(value: datetime | None) -> dict[str, str] | None:
    return {"@value": value.isoformat(), "@type": "xsd:dateTime"} if value else None


def _publisher(record: ReleaseRecord, base: str) -> dict[str, Any]:
    meta = record.dataset
    node: dict[str, Any] = {"@type": "foaf:Agent", "foaf:name": _zh(meta.publisher)}
    if meta.publisher_code:
        node["@id"] = f"{base}/publishers/{quote(meta.publisher_code, safe='')}"
        node["dct:identifier"] = meta.publisher_code
    return node


def _contact(record: ReleaseRecord, page: str) -> dict[str, Any]:
    """The contact point is the objection channel (Art. 12): the portal form, plus the agency's address."""
    node: dict[str, Any] = {
        "@type": "vcard:Organization",
        "vcard:fn": _zh(record.dataset.publisher),
        "vcard:hasURL": {"@id": f"{page}/objections"},
    }
    contact = record.dataset.contact or ""
    if "@" in contact and not contact.startswith(("http://", "https://")):
        node["vcard:hasEmail"] = {"@id": contact if contact.startswith("mailto:") else f"mailto:{contact}"}
    elif contact.startswith(("http://", "https://")):
        node["vcard:hasURL"] = [{"@id": f"{page}/objections"}, {"@id": contact}]
    return node


def _distribution(record: ReleaseRecord, output: Any, base: str, page: str) -> dict[str, Any]:
    cls = published_class(record)
    stem = output.path.replace("/", "-")
    node: dict[str, Any] = {
        "@id": f"{page}/distributions/{stem}",
        "@type": "dcat:Distribution",
        "dct:identifier": f"{record.dataset.id}/{stem}",
        "dct:title": _zh(f"{record.dataset.title}（{output.format.upper()}）"),
        "dcat:accessURL": {"@id": f"{page}/apply" if cls == "conditional" else page},
        "dcat:downloadURL": {"@id": f"{page}/versions/{record.version}/files/{output.path}"},
        "dcat:mediaType": {"@id": IANA_MEDIA + output.media_type},
        "dct:format": {"@id": EU_FILE_TYPE + FILE_TYPE.get(output.format, output.format.upper())},
        "dcat:byteSize": {"@value": str(output.bytes), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": {"@value": output.sha256, "@type": "xsd:hexBinary"},
        },
        "dct:license": {"@id": licence_uri(record.dataset.licence)},
        "dct:issued": _when(record.published_at),
        "dct:modified": _when(record.published_at),
    }
    if cls == "conditional":
        node["dct:rights"] = {"@type": "dct:RightsStatement", "rdfs:label": _zh(conditions_text(record))}
    return {key: value for key, value in node.items() if value is not None}


def dataset_node(record: ReleaseRecord, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """The dcat:Dataset of the latest release, with its distributions (none when not open)."""
    base = base_url.rstrip("/")
    meta = record.dataset
    page = dataset_url(base, meta.id)
    cls = published_class(record)
    themes: list[dict[str, str]] = []
    if code := eu_theme(meta.theme):
        themes.append({"@id": EU_THEME + code})
    themes.append(
        {
            "@id": f"{base}/themes/{quote(meta.theme, safe='')}",
            "@type": "skos:Concept",
            "skos:prefLabel": _zh(meta.theme),
        }
    )
    node: dict[str, Any] = {
        "@id": page,
        "@type": "dcat:Dataset",
        "dct:identifier": meta.id,
        "dct:title": _zh(meta.title),
        "dct:description": _zh(meta.description),
        "dct:publisher": _publisher(record, base),
        "dcat:theme": themes,
        "dcat:keyword": [_zh(word) for word in dict.fromkeys([*meta.keywords, meta.theme])],
        "dct:issued": _when(record.issued or record.published_at),
        "dct:modified": _when(record.published_at),
        "dct:accessRights": {"@id": EU_ACCESS_RIGHT + CLASS_ACCESS_RIGHT[cls]},
        "dct:accrualPeriodicity": {"@id": EU_FREQUENCY + FREQUENCY_EU.get(meta.update_frequency, "UNKNOWN")},
        "dcat:contactPoint": _contact(record, page),
        "dcat:landingPage": {"@id": page},
        "dcat:version": str(record.version) if record.version is not None else None,
        "dct:conformsTo": {"@id": f"{page}/versions/{record.version}/datapackage.json"}
        if record.outputs
        else None,
    }
    if cls != "not_open":
        node["dcat:distribution"] = [_distribution(record, o, base, page) for o in record.outputs]
    if cls == "conditional":
        node["dct:rights"] = {"@type": "dct:RightsStatement", "rdfs:label": _zh(conditions_text(record))}
    if dp_text := statement(record):  # differentially private statistics: how the numbers were made
        node["dct:provenance"] = {"@type": "dct:ProvenanceStatement", "rdfs:label": _zh(dp_text)}
    return {key: value for key, value in node.items() if value is not None}


def dataset_document(record: ReleaseRecord, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    return {"@context": CONTEXT, **dataset_node(record, base_url)}


def catalog_document(
    records: list[ReleaseRecord], base_url: str = DEFAULT_BASE_URL, modified: datetime | None = None
) -> dict[str, Any]:
    """The dcat:Catalog listing the latest release of every dataset."""
    base = base_url.rstrip("/")
    stamps = [r.published_at for r in records if r.published_at]
    latest = modified or (max(stamps) if stamps else None)
    node: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"{base}/catalog",
        "@type": "dcat:Catalog",
        "dct:title": _zh(CATALOG_TITLE),
        "dct:description": _zh(CATALOG_DESCRIPTION),
        "dct:publisher": {"@id": f"{base}/", "@type": "foaf:Agent", "foaf:name": _zh("Kaifang 数据开放平台")},
        "foaf:homepage": {"@id": f"{base}/"},
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/ZHO"},
        "dcat:dataset": [dataset_node(r, base) for r in sorted(records, key=lambda r: r.dataset.id)],
    }
    if latest:
        node["dct:modified"] = _when(latest)
    return node
