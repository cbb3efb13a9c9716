"""Controlled vocabularies the catalog maps the record onto: Chinese labels and EU authority tables.

Kept in one place so the portal, the Chinese catalog entry and the DCAT feed say the same thing.
`catalog` may not import `pipelines`, so the few labels shared with the spec are restated here.
"""

from __future__ import annotations

from pathlib import Path

EU_ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
EU_COUNTRY = "http://publications.europa.eu/resource/authority/country/"
EU_AVAILABILITY = "http://publications.europa.eu/resource/authority/planned-availability/"
ADMS_PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
ADMS_LICENCE_TYPE = "http://purl.org/adms/licencetype/"
IANA_MEDIA = "https://www.iana.org/assignments/media-types/"
SPDX_LICENSE = "https://spdx.org/licenses/"
# DCAT-AP 3.0.1's vocabulary shape wants the https form of the SPDX namespace for algorithm IRIs.
SPDX_SHA256 = "https://spdx.org/rdf/terms#checksumAlgorithm_sha256"
# The Kaifang namespace of the Chinese catalog fields (documented in docs/metadata.md and
# catalog/vocabularies/kaifang-zh.ttl).
KAIFANG_ZH = "https://w3id.org/kaifang/zh#"
GBT2260 = "https://w3id.org/kaifang/gbt2260/"
# The shipped EU code-list excerpt that lets the DCAT-AP shapes run offline.
VOCABULARY_DIR = Path(__file__).parent / "vocabularies"

CLASS_ZH = {"not_open": "不予开放", "conditional": "有条件开放", "unconditional": "无条件开放"}


def class_label(name: str | None) -> str:
    """An open class as summaries show it: `conditional (有条件开放)`; `—` when there is none."""
    return f"{name} ({CLASS_ZH[name]})" if name in CLASS_ZH else "—"
CLASS_ACCESS_RIGHT = {"unconditional": "PUBLIC", "conditional": "RESTRICTED", "not_open": "NON_PUBLIC"}

FREQUENCY_ZH = {
    "realtime": "实时",
    "daily": "每日",
    "weekly": "每周",
    "monthly": "每月",
    "quarterly": "每季度",
    "semiannual": "每半年",
    "annual": "每年",
    "irregular": "不定期",
    "never": "不更新",
}
FREQUENCY_EU = {
    "realtime": "UPDATE_CONT",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "semiannual": "BIANNUAL",
    "annual": "ANNUAL",
    "irregular": "IRREG",
    "never": "NEVER",
}

TYPE_ZH = {
    "string": "字符串",
    "integer": "整数",
    "number": "数值",
    "boolean": "布尔",
    "date": "日期",
    "datetime": "日期时间",
}
ACTION_ZH = {
    "keep": "原样发布",
    "drop": "删除",
    "redact": "删除内容",
    "mask": "掩码",
    "pseudonymize": "假名化",
    "surrogate": "替代值",
    "generalize": "泛化",
    "aggregate": "聚合",
    "date_shift": "日期偏移",
    "noise": "加噪",
    "scrub": "文本内逐项脱敏",
    # Columns of a differentially private statistics table (release: aggregate).
    "dp_key": "分组键（公开代码表）",
    "dp_count": "差分隐私计数（已加噪）",
    "dp_sum": "差分隐私求和（已加噪）",
    "dp_mean": "差分隐私均值（由加噪求和与计数计算）",
    "dp_accuracy": "95%误差范围",
}
# Grounds of the not-open and conditional classes (Art. 6-7), as the spec names them.
BASIS_ZH = {
    "security": "危害国家安全、公共安全、经济安全或社会稳定",
    "trade_secret": "涉及商业秘密",
    "personal_information": "涉及个人信息或隐私",
    "agreement": "数据获取协议或知识产权禁止开放",
    "law": "法律法规规定不予开放",
    "consent": "经权利人或信息主体同意",
    "infrastructure": "无条件开放将对基础设施造成压力",
    "risk_unassessed": "价值较高但风险暂无法评估",
    "other_law": "法律法规规定的其他情形",
}
STATUS_ZH = {
    "running": "进行中",
    "published": "已发布",
    "unchanged": "未变化",
    "refused": "已拒绝",
    "failed": "失败",
}

# Chinese domain words -> EU data theme, so harvesters can facet; the literal theme stays a keyword.
_THEME_WORDS: list[tuple[tuple[str, ...], str]] = [
    (("交通", "出行", "公交", "道路", "运输"), "TRAN"),
    (("卫生", "健康", "医疗", "医院", "疾病"), "HEAL"),
    (("教育", "学校", "文化", "体育", "旅游"), "EDUC"),
    (("环境", "生态", "气象", "水务", "空气"), "ENVI"),
    (("经济", "财政", "金融", "企业", "市场", "商贸", "税务"), "ECON"),
    (("农业", "林业", "渔业", "食品"), "AGRI"),
    (("能源", "电力", "燃气"), "ENER"),
    (("科技", "科学", "技术"), "TECH"),
    (("司法", "法律", "公安", "治安", "安全"), "JUST"),
    (("人口", "社会", "民政", "就业", "社保", "住房"), "SOCI"),
    (("城市", "区域", "规划", "地理", "国土"), "REGI"),
    (("国际", "外事"), "INTR"),
    (("政府", "政务", "公共", "机构"), "GOVE"),
]


def eu_theme(theme: str) -> str | None:
    """EU data-theme code for a Chinese (or English) domain name, when one fits."""
    lowered = theme.lower()
    for words, code in _THEME_WORDS:
        if any(word in lowered for word in words):
            return code
    english = {
        "transport": "TRAN",
        "health": "HEAL",
        "education": "EDUC",
        "environment": "ENVI",
        "economy": "ECON",
        "agriculture": "AGRI",
        "energy": "ENER",
        "science": "TECH",
        "justice": "JUST",
        "society": "SOCI",
        "regions": "REGI",
        "government": "GOVE",
    }
    return next((code for word, code in english.items() if word in lowered), None)


# ADMS licence types of the SPDX licences agencies use for open data (dct:type of the dct:LicenseDocument).
LICENCE_TYPES: dict[str, tuple[str, ...]] = {
    "CC-BY-4.0": ("Attribution",),
    "CC-BY-SA-4.0": ("Attribution", "ShareAlike"),
    "CC0-1.0": ("PublicDomain",),
    "ODbL-1.0": ("Attribution", "ShareAlike"),
    "PDDL-1.0": ("PublicDomain",),
    "ODC-By-1.0": ("Attribution",),
}


def licence_types(licence: str) -> list[str]:
    """ADMS licence-type IRIs of a licence, when it is one of the known SPDX licences."""
    code = licence.strip().replace(" ", "-")
    return [ADMS_LICENCE_TYPE + name for name in LICENCE_TYPES.get(code, ())]


def licence_uri(licence: str) -> str:
    """A licence as a URI: URLs pass through, SPDX identifiers (CC-BY-4.0) point at the SPDX list."""
    if licence.startswith(("http://", "https://")):
        return licence
    return SPDX_LICENSE + licence.strip().replace(" ", "-")
