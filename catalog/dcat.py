"""DCAT-AP 3 JSON-LD for one dataset, its version series and the whole catalog, as views of release records.

Harvesters (ckanext-dcat, data.europa.eu, piveau) duplicate datasets on re-harvest when identifiers
move, so the dataset URI and `dct:identifier` depend only on the dataset id, never on the version;
each version's files get their own download URLs under the stable distribution URIs.

Versions (DCAT 3 §11): the stable dataset is the current member of a `dcat:DatasetSeries`
(`…/datasets/<id>/series`) and carries `dcat:version`, `dcat:previousVersion` (the URI of the
previous release, `…/datasets/<id>/versions/<n>`, which the portal serves as RDF), `dct:issued`,
`dct:modified` and `adms:versionNotes`. Earlier versions are referenced, not described, in the
catalog: a harvester that takes every `dcat:Dataset` of a page would otherwise create one record per
version.

The values that the official shapes check by class are typed here (`dct:LicenseDocument`,
`dct:MediaType`, `foaf:Document`, `dct:Standard`, `vcard:Kind`, `spdx:ChecksumAlgorithm`); the EU
code-list concepts are typed by their own authority tables (shipped as `vocabularies/eu-codelists.ttl`
for offline validation, see `catalog.shacl`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from catalog.coverage import publisher_region, publisher_type
from catalog.dp_meta import statement
from catalog.entry import DEFAULT_BASE_URL, catalog_entry, conditions_text, dataset_url, published_class
from catalog.record import OutputFile, ReleaseRecord
from catalog.vocab import (
    ADMS_PUBLISHER_TYPE,
    CLASS_ACCESS_RIGHT,
    EU_ACCESS_RIGHT,
    EU_AVAILABILITY,
    EU_COUNTRY,
    EU_FILE_TYPE,
    EU_FREQUENCY,
    EU_LANGUAGE,
    EU_THEME,
    FREQUENCY_EU,
    GBT2260,
    IANA_MEDIA,
    KAIFANG_ZH,
    SPDX_SHA256,
    eu_theme,
    licence_types,
    licence_uri,
)
from catalog.zhcat import zh_properties

CONTEXT: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatap": "http://data.europa.eu/r5r/",
    "adms": "http://www.w3.org/ns/adms#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "kf": KAIFANG_ZH,
}
FILE_TYPE = {"csv": "CSV", "parquet": "PARQUET", "json": "JSON"}
FORMAT_NOTE = {
    "csv": "CSV，UTF-8 编码，逗号分隔，首行为表头",
    "parquet": "Apache Parquet，列式存储，保留原生类型",
    "json": "JSON，UTF-8 编码，每条记录一个对象的数组",
}
CATALOG_TITLE = "Kaifang 公共数据开放目录"
CATALOG_DESCRIPTION = "经脱敏与质量检查后发布的公共数据集目录（DCAT-AP 3）。"
CATALOG_LICENCE = "CC0-1.0"  # the metadata itself: free for harvesters to reuse
DATA_PACKAGE_STANDARD = {
    "@id": "https://datapackage.org/standard/data-package/",
    "@type": "dct:Standard",
    "dct:title": {"@value": "Frictionless Data Package", "@language": "en"},
}
LANGUAGE_ZH = {"@id": EU_LANGUAGE + "ZHO"}
STABLE = {"@id": EU_AVAILABILITY + "STABLE"}


def _zh(text: str) -> dict[str, str]:
    return {"@value": text, "@language": "zh"}


def _when(value: datetime | None) -> dict[str, str] | None:
    return {"@value": value.isoformat(), "@type": "xsd:dateTime"} if value else None


def _compact(node: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in node.items() if value is not None}


def _document(iri: str) -> dict[str, str]:
    return {"@id": iri, "@type": "foaf:Document"}


def licence_node(licence: str) -> dict[str, Any]:
    """A licence as a dct:LicenseDocument, with its ADMS licence type when the SPDX id is known."""
    types = licence_types(licence)
    node: dict[str, Any] = {"@id": licence_uri(licence), "@type": "dct:LicenseDocument"}
    if types:
        node["dct:type"] = [{"@id": t} for t in types]
    return node


def version_url(base_url: str, dataset_id: str, version: int) -> str:
    return f"{dataset_url(base_url, dataset_id)}/versions/{int(version)}"


def series_url(base_url: str, dataset_id: str) -> str:
    return f"{dataset_url(base_url, dataset_id)}/series"


def _publisher(record: ReleaseRecord, base: str) -> dict[str, Any]:
    meta = record.dataset
    node: dict[str, Any] = {"@type": "foaf:Agent", "foaf:name": _zh(meta.publisher)}
    if meta.publisher_code:
        node["@id"] = f"{base}/publishers/{quote(meta.publisher_code, safe='')}"
        node["dct:identifier"] = meta.publisher_code
    if kind := publisher_type(meta):
        node["dct:type"] = {"@id": ADMS_PUBLISHER_TYPE + kind}
    return node


def _contact(record: ReleaseRecord, page: str) -> dict[str, Any]:
    """The contact point is the objection channel (Art. 12): the portal form, plus the agency's address."""
    node: dict[str, Any] = {
        "@type": ["vcard:Kind", "vcard:Organization"],
        "vcard:fn": _zh(record.dataset.publisher),
        "vcard:hasURL": {"@id": f"{page}/objections"},
    }
    contact = record.dataset.contact or ""
    if "@" in contact and not contact.startswith(("http://", "https://")):
        node["vcard:hasEmail"] = {"@id": contact if contact.startswith("mailto:") else f"mailto:{contact}"}
    elif contact.startswith(("http://", "https://")):
        node["vcard:hasURL"] = [{"@id": f"{page}/objections"}, {"@id": contact}]
    return node


def _spatial(record: ReleaseRecord) -> list[dict[str, Any]]:
    """The publisher's GB/T 2260 region (a Kaifang concept with the code as notation), and China."""
    places: list[dict[str, Any]] = []
    if region := publisher_region(record.dataset):
        places.append(
            {
                "@id": GBT2260 + region.code,
                "@type": ["dct:Location", "skos:Concept"],
                "skos:prefLabel": _zh(region.name),
                "skos:notation": region.code,
            }
        )
    places.append({"@id": EU_COUNTRY + "CHN"})
    return places


def _temporal(record: ReleaseRecord) -> dict[str, Any] | None:
    if record.temporal is None:
        return None
    kind = {10: "xsd:date", 7: "xsd:gYearMonth", 4: "xsd:gYear"}[len(record.temporal.start)]
    return {
        "@type": "dct:PeriodOfTime",
        "dcat:startDate": {"@value": record.temporal.start, "@type": kind},
        "dcat:endDate": {"@value": record.temporal.end, "@type": kind},
    }


def _themes(record: ReleaseRecord, base: str) -> list[dict[str, Any]]:
    """The EU data theme the Chinese domain maps to, and the domain itself as a Kaifang concept."""
    theme = record.dataset.theme
    own: dict[str, Any] = {
        "@id": f"{base}/themes/{quote(theme, safe='')}",
        "@type": "skos:Concept",
        "skos:prefLabel": _zh(theme),
        "skos:inScheme": {"@id": f"{base}/themes"},
    }
    themes: list[dict[str, Any]] = []
    if code := eu_theme(theme):
        themes.append({"@id": EU_THEME + code})
        own["skos:broadMatch"] = {"@id": EU_THEME + code}
    themes.append(own)
    return themes


def _description(record: ReleaseRecord, output: OutputFile) -> str:
    rows = f"，{record.rows_out:,} 条记录" if record.rows_out is not None else ""
    note = FORMAT_NOTE.get(output.format, output.format.upper())
    return f"{record.dataset.title}第 {record.version} 版数据文件（{note}{rows}）。"


def _distribution(record: ReleaseRecord, output: OutputFile, page: str, owner: str) -> dict[str, Any]:
    """One data file; `owner` is the dataset node's IRI (stable, or a version's own URI)."""
    cls = published_class(record)
    stem = output.path.replace("/", "-")
    node: dict[str, Any] = {
        "@id": f"{owner}/distributions/{stem}",
        "@type": "dcat:Distribution",
        "dct:identifier": f"{record.dataset.id}/{stem}",
        "dct:title": _zh(f"{record.dataset.title}（{output.format.upper()}）"),
        "dct:description": _zh(_description(record, output)),
        "dcat:accessURL": {"@id": f"{page}/apply" if cls == "conditional" else page},
        "dcat:downloadURL": {"@id": f"{page}/versions/{record.version}/files/{output.path}"},
        "dcat:mediaType": {"@id": IANA_MEDIA + output.media_type, "@type": "dct:MediaType"},
        "dct:format": {"@id": EU_FILE_TYPE + FILE_TYPE.get(output.format, output.format.upper())},
        "dcat:byteSize": {"@value": str(output.bytes), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": SPDX_SHA256, "@type": "spdx:ChecksumAlgorithm"},
            "spdx:checksumValue": {"@value": output.sha256, "@type": "xsd:hexBinary"},
        },
        "dct:license": licence_node(record.dataset.licence),
        "dcatap:availability": STABLE,
        "dct:language": LANGUAGE_ZH,
        "dct:issued": _when(record.published_at),
        "dct:modified": _when(record.published_at),
    }
    if cls == "conditional":
        node["dct:rights"] = {"@type": "dct:RightsStatement", "rdfs:label": _zh(conditions_text(record))}
    return _compact(node)


def series_node(record: ReleaseRecord, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """The dcat:DatasetSeries of all releases of the dataset; the latest release is its last member."""
    base = base_url.rstrip("/")
    meta = record.dataset
    version = record.version or 1
    first = dataset_url(base, meta.id) if version == 1 else version_url(base, meta.id, 1)
    return _compact(
        {
            "@id": series_url(base, meta.id),
            "@type": "dcat:DatasetSeries",
            "dct:title": _zh(f"{meta.title}（版本系列）"),
            "dct:description": _zh(f"{meta.title}的全部发布版本，每次发布为系列中的一个版本。"),
            "dct:publisher": _publisher(record, base),
            "dcat:contactPoint": _contact(record, dataset_url(base, meta.id)),
            "dct:accrualPeriodicity": {"@id": EU_FREQUENCY + FREQUENCY_EU.get(meta.update_frequency, "UNKNOWN")},
            "dct:spatial": _spatial(record),
            "dct:issued": _when(record.issued or record.published_at),
            "dct:modified": _when(record.published_at),
            "dcat:first": {"@id": first},
            "dcat:last": {"@id": dataset_url(base, meta.id)},
        }
    )


def _versioning(record: ReleaseRecord, base: str) -> dict[str, Any]:
    meta = record.dataset
    previous = record.previous_version
    if previous is None and record.version and record.version > 1:
        previous = record.version - 1
    return _compact(
        {
            "dcat:version": str(record.version) if record.version is not None else None,
            "dcat:previousVersion": {"@id": version_url(base, meta.id, previous)} if previous else None,
            "adms:versionNotes": _zh(record.version_notes) if record.version_notes else None,
            "dcat:inSeries": series_node(record, base),
        }
    )


def dataset_node(
    record: ReleaseRecord, base_url: str = DEFAULT_BASE_URL, iri: str | None = None
) -> dict[str, Any]:
    """The dcat:Dataset of a release, with its distributions (none when not open).

    `iri` names the node when it describes one version at its own URI instead of the stable dataset.
    """
    base = base_url.rstrip("/")
    meta = record.dataset
    page = dataset_url(base, meta.id)
    cls = published_class(record)
    node: dict[str, Any] = {
        "@id": iri or page,
        "@type": "dcat:Dataset",
        "dct:identifier": meta.id,
        "dct:title": _zh(meta.title),
        "dct:description": _zh(meta.description),
        "dct:publisher": _publisher(record, base),
        "dcat:theme": _themes(record, base),
        "dcat:keyword": [_zh(word) for word in dict.fromkeys([*meta.keywords, meta.theme])],
        "dct:issued": _when(record.issued or record.published_at),
        "dct:modified": _when(record.published_at),
        "dct:accessRights": {"@id": EU_ACCESS_RIGHT + CLASS_ACCESS_RIGHT[cls]},
        "dct:accrualPeriodicity": {"@id": EU_FREQUENCY + FREQUENCY_EU.get(meta.update_frequency, "UNKNOWN")},
        "dct:language": LANGUAGE_ZH,
        "dct:spatial": _spatial(record),
        "dct:temporal": _temporal(record) if cls != "not_open" else None,
        "dcat:contactPoint": _contact(record, page),
        "dcat:landingPage": _document(page),
        "dct:conformsTo": DATA_PACKAGE_STANDARD if record.outputs else None,
        "foaf:page": _document(f"{page}/versions/{record.version}/datapackage.json") if record.outputs else None,
        **_versioning(record, base),
        **zh_properties(record.catalog_entry or catalog_entry(record, base)),
    }
    if cls != "not_open":
        node["dcat:distribution"] = [_distribution(record, o, page, iri or page) for o in record.outputs]
    if cls == "conditional":
        node["dct:rights"] = {"@type": "dct:RightsStatement", "rdfs:label": _zh(conditions_text(record))}
    if dp_text := statement(record):  # differentially private statistics: how the numbers were made
        node["dct:provenance"] = {"@type": "dct:ProvenanceStatement", "rdfs:label": _zh(dp_text)}
    return _compact(node)


def dataset_document(record: ReleaseRecord, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    return {"@context": CONTEXT, **dataset_node(record, base_url)}


def version_document(record: ReleaseRecord, base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """One release described at its own version URI (what `dcat:previousVersion` links to)."""
    iri = version_url(base_url.rstrip("/"), record.dataset.id, record.version or 1)
    node = dataset_node(record, base_url, iri=iri)
    node["dcat:isVersionOf"] = {"@id": dataset_url(base_url, record.dataset.id)}
    return {"@context": CONTEXT, **node}


def catalog_node(
    records: list[ReleaseRecord], base_url: str = DEFAULT_BASE_URL, modified: datetime | None = None
) -> dict[str, Any]:
    """The dcat:Catalog node over `records` (the latest release of each dataset listed)."""
    base = base_url.rstrip("/")
    stamps = [r.published_at for r in records if r.published_at]
    issued = [r.issued or r.published_at for r in records if r.issued or r.published_at]
    latest = modified or (max(stamps) if stamps else None)
    return _compact(
        {
            "@id": f"{base}/catalog",
            "@type": "dcat:Catalog",
            "dct:title": _zh(CATALOG_TITLE),
            "dct:description": _zh(CATALOG_DESCRIPTION),
            "dct:publisher": {
                "@id": f"{base}/#publisher",
                "@type": "foaf:Agent",
                "foaf:name": _zh("Kaifang 数据开放平台"),
                "dct:type": {"@id": ADMS_PUBLISHER_TYPE + "LocalAuthority"},
            },
            "foaf:homepage": _document(f"{base}/"),
            "dct:language": LANGUAGE_ZH,
            "dct:license": licence_node(CATALOG_LICENCE),
            "dct:spatial": [{"@id": EU_COUNTRY + "CHN"}],
            "dcat:themeTaxonomy": [
                {"@id": EU_THEME.rstrip("/")},
                {"@id": f"{base}/themes", "@type": "skos:ConceptScheme", "dct:title": _zh("Kaifang 数据领域")},
            ],
            "dct:issued": _when(min(issued)) if issued else None,
            "dct:modified": _when(latest),
            "dcat:dataset": [dataset_node(r, base) for r in sorted(records, key=lambda r: r.dataset.id)],
        }
    )


def catalog_document(
    records: list[ReleaseRecord], base_url: str = DEFAULT_BASE_URL, modified: datetime | None = None
) -> dict[str, Any]:
    """The dcat:Catalog listing the latest release of every dataset."""
    return {"@context": CONTEXT, **catalog_node(records, base_url, modified)}
