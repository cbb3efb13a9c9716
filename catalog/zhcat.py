"""The Chinese catalog fields in RDF: one property per field in the Kaifang namespace, with its DCAT mapping.

The catalog entry (`catalog.entry`, saved in metadata.json) is what Chinese portals and the national
guidance list; DCAT-AP is what European harvesters read. Each field is published both ways: under its
standard DCAT-AP property (where one exists) and verbatim as `kf:<name>` (namespace
https://w3id.org/kaifang/zh#), so a Chinese aggregator gets the fields exactly as the guidance names
them. `FIELDS` is the single list: docs/metadata.md documents it and a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog.vocab import KAIFANG_ZH


@dataclass(frozen=True)
class ZhField:
    key: str  # the field as the guidance names it (catalog entry key)
    name: str  # local name in the Kaifang namespace
    dcat: str  # where DCAT-AP 3 carries the same information


FIELDS: tuple[ZhField, ...] = (
    ZhField("数据名称", "title", "dct:title"),
    ZhField("数据摘要", "abstract", "dct:description"),
    ZhField("数据提供方", "provider", "dct:publisher → foaf:name"),
    ZhField("数据提供方代码", "providerCode", "dct:publisher → dct:identifier"),
    ZhField("数据提供方类型", "providerType", "dct:publisher → dct:type (ADMS publisher type)"),
    ZhField("数据领域", "domain", "dcat:theme (EU data theme, and a Kaifang theme concept with the Chinese label)"),
    ZhField("关键字", "keyword", "dcat:keyword"),
    ZhField("开放属性", "openClass", "dct:accessRights (EU access right PUBLIC / RESTRICTED / NON_PUBLIC)"),
    ZhField("开放条件", "openConditions", "dct:rights → dct:RightsStatement (dataset and distributions)"),
    ZhField("开放依据", "openBasis", "none in DCAT-AP: kf:openBasis only"),
    ZhField("数据类型", "resourceType", "rdf:type dcat:Dataset (数据集)"),
    ZhField("更新频率", "updateFrequency", "dct:accrualPeriodicity (EU frequency)"),
    ZhField("数据格式", "format", "dcat:distribution → dct:format (EU file type), dcat:mediaType (IANA)"),
    ZhField("发布日期", "issued", "dct:issued"),
    ZhField("更新日期", "modified", "dct:modified"),
    ZhField("数据量", "recordCount", "none in DCAT-AP: kf:recordCount only"),
    ZhField("文件大小", "fileSize", "dcat:distribution → dcat:byteSize (per file; the entry gives the sum)"),
    ZhField("信息项", "fieldItems", "foaf:page → datapackage.json (Table Schema); not repeated in RDF"),
    ZhField("空间范围", "spatial", "dct:spatial (GB/T 2260 region, EU country CHN)"),
    ZhField("时间范围", "temporal", "dct:temporal → dct:PeriodOfTime (dcat:startDate, dcat:endDate)"),
    ZhField("许可协议", "licence", "dct:license → dct:LicenseDocument"),
    ZhField("版本", "version", "dcat:version"),
    ZhField("联系方式", "contact", "dcat:contactPoint → vcard:hasEmail / vcard:hasURL"),
    ZhField("纠错渠道", "objectionChannel", "dcat:contactPoint → vcard:hasURL"),
)
BY_KEY = {f.key: f for f in FIELDS}
PREFIX = "kf"
NOT_IN_RDF = {"信息项"}  # structured: the Table Schema in datapackage.json carries it


def _literal(value: Any) -> Any:
    if isinstance(value, bool):
        return {"@value": value}
    if isinstance(value, int):
        return {"@value": str(value), "@type": "xsd:integer"}
    return {"@value": str(value), "@language": "zh"}


def zh_properties(entry: dict[str, Any]) -> dict[str, Any]:
    """JSON-LD properties `kf:<name>` for the entry's fields; empty values are left out."""
    props: dict[str, Any] = {}
    for key, value in entry.items():
        field = BY_KEY.get(key)
        if field is None or key in NOT_IN_RDF or value in (None, "", []):
            continue
        values = value if isinstance(value, list) else [value]
        literals = [_literal(v) for v in values if v not in (None, "")]
        if literals:
            props[f"{PREFIX}:{field.name}"] = literals if len(literals) > 1 else literals[0]
    return props


CONTEXT_ENTRY = {PREFIX: KAIFANG_ZH}


def namespace_turtle() -> str:
    """The Kaifang namespace as RDF (one rdf:Property per field, its Chinese name and DCAT mapping).

    Shipped as vocabularies/kaifang-zh.ttl; a test checks the file against this function.
    """
    from rdflib import Graph, Literal, Namespace, URIRef
    from rdflib.namespace import OWL, RDF, RDFS

    kf = Namespace(KAIFANG_ZH)
    graph = Graph()
    graph.bind(PREFIX, kf)
    ontology = URIRef(KAIFANG_ZH.rstrip("#"))
    graph.add((ontology, RDF.type, OWL.Ontology))
    graph.add((ontology, RDFS.label, Literal("Kaifang 中文开放目录字段", lang="zh")))
    note = "Fields of the Chinese open-data catalog record; see docs/metadata.md."
    graph.add((ontology, RDFS.comment, Literal(note)))
    for field in FIELDS:
        prop = kf[field.name]
        graph.add((prop, RDF.type, RDF.Property))
        graph.add((prop, RDFS.label, Literal(field.key, lang="zh")))
        graph.add((prop, RDFS.comment, Literal(f"DCAT-AP 3: {field.dcat}", lang="en")))
        graph.add((prop, RDFS.isDefinedBy, ontology))
    return graph.serialize(format="turtle")
