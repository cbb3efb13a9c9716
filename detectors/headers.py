"""What a column's name suggests, in Chinese and English.

Headers are only a hint: the profiler combines them with value evidence and values win
(a 身份证号 column of order numbers is not CN_RESIDENT_ID). Short English abbreviations
(``tel``, ``ip``, ``xm``) must be whole tokens of the header; longer words may appear anywhere.
"""

from __future__ import annotations

import re

ENTITY_HINTS: dict[str, tuple[str, ...]] = {
    "CN_RESIDENT_ID": ("身份证", "证件号", "身份号码", "公民身份", "社会保障号", "社保号", "id_card", "idcard",
                       "id_no", "idno", "id_number", "identity", "sfz", "sfzh", "sfzhm", "zjhm", "gmsfhm", "ssn",
                       "shbzh"),
    "CN_HMT_RESIDENCE_PERMIT": ("居住证", "港澳台居民居住证", "residence_permit", "jzz", "jzzh"),
    "CN_FOREIGNER_PR_ID": ("永久居留", "居留身份证", "居留证", "外国人永久", "permanent_residence", "pr_id", "yjjl"),
    "CN_HK_MACAU_TRAVEL_PERMIT": ("往来港澳", "港澳通行证", "双程证", "gatxz", "hk_macau_permit"),
    "CN_TW_TRAVEL_PERMIT": ("往来台湾", "台湾通行证", "赴台", "入台证", "twtxz", "taiwan_permit"),
    "CN_SOCIAL_SECURITY_CARD": ("社保卡号", "社保卡卡号", "社会保障卡号", "社会保障卡卡号", "社保卡编号", "sbkh",
                                "shbzkh", "social_security_card"),
    "IMEI": ("imei", "串号", "设备识别码", "手机串号", "移动设备识别", "imeisv"),
    "VEHICLE_VIN": ("车架号", "车辆识别代号", "车辆识别码", "识别代号", "vin", "vin_code", "cjh", "clsbdh"),
    "HASHED_IDENTIFIER": ("哈希", "摘要", "散列", "hash", "sha1", "sha256", "sha512", "md5", "digest"),
    "GEO_COORDINATE": ("经纬度", "经度", "纬度", "坐标", "定位", "位置", "latitude", "longitude", "lat", "lng",
                       "lon", "coord", "coords", "coordinate", "coordinates", "gps", "geo", "wkt", "location_xy",
                       "jwd", "jd", "wd", "zb"),
    "CN_USCC": ("统一社会信用代码", "信用代码", "社会信用", "uscc", "credit_code", "tyshxydm", "shxydm"),
    "PHONE_NUMBER": ("手机", "电话", "联系方式", "座机", "固话", "固定电话", "办公电话", "mobile", "phone", "tel",
                     "telephone", "cell", "sjhm", "sjh", "lxdh", "lxfs", "gddh", "bgdh", "zj", "dh", "yddh"),
    "CN_BANK_CARD": ("银行卡", "卡号", "账号", "银行账户", "帐号", "bank", "card_no", "cardno", "account_no",
                     "yhkh"),
    "CN_LICENSE_PLATE": ("车牌", "号牌", "牌照", "plate", "cph", "hphm"),
    "CN_PASSPORT": ("护照", "passport"),
    "CN_HMT_PERMIT": ("回乡证", "来往内地通行证", "台胞证", "港澳居民", "台湾居民来往", "permit", "hxz", "tbz"),
    "EMAIL_ADDRESS": ("邮箱", "电子邮件", "电邮", "email", "e_mail", "mail"),
    "IP_ADDRESS": ("ip地址", "ip", "ip_addr", "ip_address", "ipv4", "ipv6"),
    "PERSON": ("姓名", "名字", "联系人", "法定代表人", "法人代表", "负责人", "户主", "申请人", "当事人", "经办人",
               "监护人", "投诉人", "举报人", "患者", "name", "xm", "fddbr", "lxr", "sqr", "contact", "person",
               "legal_rep", "owner", "full_name", "name_en", "name_py", "pinyin"),
    "LOCATION": ("地址", "住址", "住所", "居住地", "户籍地", "通讯地址", "家庭住址", "address", "addr", "dz",
                 "zz", "jzd"),
}
# Headers that say "this is not about a person" even when they also contain a hint word.
NOT_PERSON_HEADERS = ("企业", "公司", "单位", "机构", "商品", "产品", "项目", "部门", "名称", "company", "org",
                      "enterprise", "product", "dept", "file", "user_name")
# Headers of numbers that look like identifiers but are not (values still decide).
DECOY_HINTS = ("订单", "单号", "编号", "流水", "发票", "条码", "条形码", "表号", "电表", "水表", "文号", "批次",
               "序号", "行政区划", "区划代码", "邮编", "邮政编码", "order", "invoice", "barcode", "ean",
               "meter", "serial", "batch", "postcode", "zip")

QUASI_HINTS: dict[str, tuple[str, ...]] = {
    "gender": ("性别", "gender", "sex", "xb"),
    "birth_date": ("出生", "生日", "birth", "dob", "csrq"),
    "age": ("年龄", "岁数", "age", "nl"),
    "district": ("区县", "县区", "区域", "辖区", "所在区", "街道", "乡镇", "社区", "district", "county", "town",
                 "region", "籍贯", "户籍", "省份", "城市", "city", "province"),
    "occupation": ("职业", "岗位", "职务", "职称", "工种", "occupation", "job", "profession", "title"),
    "ethnicity": ("民族", "ethnic", "ethnicity", "nation", "mz"),
    "employer": ("工作单位", "就职单位", "所在单位", "单位名称", "employer", "workplace", "company", "gzdw"),
    "education": ("学历", "文化程度", "学位", "education", "degree", "xl"),
    "marital": ("婚姻", "婚否", "marital", "marriage"),
    "nationality": ("国籍", "nationality", "citizenship"),
    "politics": ("政治面貌", "党派", "political"),
    "postcode": ("邮编", "邮政编码", "postcode", "zip"),
}


def _tokens(header: str) -> list[str]:
    """Runs of ASCII letters/digits and runs of Han characters: 设备IMEI is 设备 + imei."""
    return re.findall(r"[0-9a-z]+|[\u4e00-\u9fff]+", header.lower())


def matches(header: str, words: tuple[str, ...]) -> bool:
    """Whether the header holds one of ``words`` (short ASCII words only as whole tokens)."""
    low = header.lower()
    tokens = _tokens(header)
    for word in words:
        if word.isascii() and len(word) <= 4:
            if word in tokens:
                return True
        elif word in low:
            return True
    return False


def entity_hints(header: str) -> frozenset[str]:
    """Entities the column name points to."""
    found = {entity for entity, words in ENTITY_HINTS.items() if matches(header, words)}
    if "PERSON" in found and matches(header, NOT_PERSON_HEADERS):
        found.discard("PERSON")
    if "LOCATION" in found and matches(header, ("ip", "ip地址", "邮箱", "email", "mail")):
        found.discard("LOCATION")
    return frozenset(found)


def decoy_hint(header: str) -> bool:
    """The name says the column holds non-personal numbers (order, invoice, meter, barcode …)."""
    return matches(header, DECOY_HINTS)


def quasi_hint(header: str) -> str | None:
    """The quasi-identifier kind the column name suggests, if any."""
    for kind, words in QUASI_HINTS.items():
        if matches(header, words):
            return kind
    return None
