"""The labelled set of the accuracy benchmark: agency-style tables with the truth per column.

Built deterministically at run time (seeded numpy), then written to CSV (one table in GBK, as
many agency exports are) and read back the way the pipeline reads files: every column as
strings, empty cells as NA. Truth is column level: the set of entity types a reviewer would
say the column holds (several for a free-text column, none for decoys and quasi-identifiers).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import agency as g

ID, USCC, PHONE, CARD = "CN_RESIDENT_ID", "CN_USCC", "PHONE_NUMBER", "CN_BANK_CARD"
PLATE, PASSPORT, HMT = "CN_LICENSE_PLATE", "CN_PASSPORT", "CN_HMT_PERMIT"
EMAIL, IP, PERSON, LOCATION, SECRET = "EMAIL_ADDRESS", "IP_ADDRESS", "PERSON", "LOCATION", "TRADE_SECRET"


@dataclass
class Table:
    name: str
    frame: pd.DataFrame
    truth: dict[str, set[str]]
    encoding: str = "utf-8"


def _emails(rng: np.random.Generator, n: int) -> np.ndarray:
    user = g._cat(g._pick(rng, ["zhang", "wang", "li", "liu", "chen", "info", "service"], n), g._digits(rng, n, 3))
    return g._cat(user, "@", g._pick(rng, ["163.com", "qq.com", "example.com.cn", "gov.cn", "126.com"], n))


def _ips(rng: np.random.Generator, n: int) -> np.ndarray:
    octets = rng.integers(1, 255, (n, 4)).astype(str)
    out = np.asarray([".".join(row) for row in octets], dtype=object)
    v6 = rng.random(n) < 0.2
    out[v6] = [f"2001:db8:{a:x}::{b:x}" for a, b in rng.integers(1, 65535, (int(v6.sum()), 2))]
    return out


def _passports(rng: np.random.Generator, n: int) -> np.ndarray:
    out = g._cat("E", g._digits(rng, n, 8))
    new = rng.random(n) < 0.4
    k = int(new.sum())
    out[new] = g._cat("E", g._pick(rng, list("ABCDEFGHJK"), k), g._digits(rng, k, 7))
    return out


def _companies(rng: np.random.Generator, n: int) -> np.ndarray:
    city = g._pick(rng, ["济南", "青岛", "烟台", "潍坊", "淄博"], n)
    word = g._pick(rng, ["华信", "鲁能", "泉城", "海川", "金桥", "明德", "远航", "宏达"], n)
    kind = g._pick(rng, ["科技有限公司", "商贸有限公司", "建设工程有限公司", "食品股份有限公司"], n)
    return g._cat(city, word, g._digits(rng, n, 2), kind)


def persons(rng: np.random.Generator, n: int = 500) -> Table:
    dates = g.birth_dates(rng, n)
    frame = pd.DataFrame(
        {
            "姓名": g.names(rng, n),
            "性别": g._pick(rng, ["男", "女"], n),
            "出生日期": dates,
            "公民身份号码": g.resident_ids(rng, n, dates),
            "手机号码": g.sparse(rng, g.dirty_phones(rng, n), 0.1),
            "家庭住址": g.addresses(rng, n),
            "民族": g._pick(rng, g.ETHNIC, n),
            "文化程度": g._pick(rng, g.EDUCATION, n),
            "职业": g._pick(rng, g.OCCUPATIONS, n),
            "备注": g.remarks(rng, n, leak=0.1),
        }
    )
    truth = {"姓名": {PERSON}, "公民身份号码": {ID}, "手机号码": {PHONE}, "家庭住址": {LOCATION},
             "备注": {PHONE, ID, PERSON}}
    return Table("persons (GBK)", frame, truth, encoding="gbk")


def enterprises(rng: np.random.Generator, n: int = 300) -> Table:
    frame = pd.DataFrame(
        {
            "企业名称": _companies(rng, n),
            "统一社会信用代码": g.usccs(rng, n),
            "法定代表人": g.names(rng, n),
            "联系电话": g.landlines(rng, n),
            "注册地址": g.addresses(rng, n),
            "所属行业": g._pick(rng, ["制造业", "批发和零售业", "建筑业", "信息技术服务业"], n),
            "营业收入（万元）": g.amounts(rng, n),
            "投标报价": g.amounts(rng, n),
            "主要供应商": _companies(rng, n),
            "电子邮箱": _emails(rng, n),
        }
    )
    truth = {"统一社会信用代码": {USCC}, "法定代表人": {PERSON}, "联系电话": {PHONE}, "注册地址": {LOCATION},
             "营业收入（万元）": {SECRET}, "投标报价": {SECRET}, "主要供应商": {SECRET}, "电子邮箱": {EMAIL}}
    return Table("enterprises", frame, truth)


def vehicles(rng: np.random.Generator, n: int = 400) -> Table:
    frame = pd.DataFrame(
        {
            "号牌号码": g.plates(rng, n),
            "当事人": g.names(rng, n),
            "驾驶证号": g.resident_ids(rng, n),
            "违法地点": g._cat(g._pick(rng, g.ROADS, n), "与", g._pick(rng, g.ROADS, n), "交叉口"),
            "违法行为": g._pick(rng, ["闯红灯", "超速50%以下", "违法停车", "未系安全带"], n),
            "罚款金额": g._pick(rng, ["200", "100", "50", "150"], n),
            "决定书编号": g.order_numbers(rng, n),
        }
    )
    truth = {"号牌号码": {PLATE}, "当事人": {PERSON}, "驾驶证号": {ID}}
    return Table("vehicles", frame, truth)


def travellers(rng: np.random.Generator, n: int = 300) -> Table:
    frame = pd.DataFrame(
        {
            "name": g.names(rng, n),
            "passport_no": _passports(rng, n),
            "hmt_permit": g._cat(g._pick(rng, ["H", "M"], n), g._digits(rng, n, 8)),
            "nationality": g._pick(rng, ["中国", "中国香港", "中国澳门"], n),
            "login_ip": _ips(rng, n),
            "email": _emails(rng, n),
            "bank_card": g.bank_cards(rng, n),
            "visit_count": rng.integers(1, 30, n).astype(str).astype(object),
        }
    )
    truth = {"name": {PERSON}, "passport_no": {PASSPORT}, "hmt_permit": {HMT}, "login_ip": {IP},
             "email": {EMAIL}, "bank_card": {CARD}}
    return Table("travellers", frame, truth)


def decoys(rng: np.random.Generator, n: int = 500) -> Table:
    frame = pd.DataFrame(
        {
            "订单编号": g.order_numbers(rng, n),
            "身份证号": g.failing(g.resident_ids(rng, n)),  # misleading header, checksum-failing values
            "发票代码": g.invoice_codes(rng, n),
            "发票号码": g._digits(rng, n, 8),
            "电表户号": g.meter_numbers(rng, n),
            "商品条码": g.barcodes(rng, n),
            "行政区划代码": g._pick(rng, g.REGIONS, n),
            "邮政编码": g._pick(rng, ["250014", "250002", "100020", "266071", "518057"], n),
            "手机": g.meter_numbers(rng, n),  # misleading header again
            "流水号": g._cat("9", g._digits(rng, n, 17)),
        }
    )
    return Table("decoys", frame, {})


def dirty(rng: np.random.Generator, n: int = 300) -> Table:
    ids = g.resident_ids(rng, n)
    ids = np.asarray([f" {s[:6]} {s[6:14]} {s[14:]} " if i % 3 == 0 else s.lower() for i, s in enumerate(ids)],
                     dtype=object)
    phones = g.mobiles(rng, n)
    masked = g._cat(np.asarray([p[:3] for p in phones], dtype=object), "****",
                    np.asarray([p[7:] for p in phones], dtype=object))
    half = masked.copy()
    raw = rng.random(n) < 0.3
    half[raw] = phones[raw]
    frame = pd.DataFrame(
        {
            "xm": g.names(rng, n),
            "sfzh": g.sparse(rng, ids, 0.5),
            "tel": g.dirty_phones(rng, n),
            "addr": g.addresses(rng, n),
            "phone_masked": masked,
            "phone_half_masked": half,
            "id_masked": g._cat(g._pick(rng, g.REGIONS, n), "********", g._digits(rng, n, 4)),
            "name_masked": g._cat(g._pick(rng, g.SURNAMES, n), "*"),
            "empty": np.full(n, None, dtype=object),
            "remark": g.sparse(rng, g._pick(rng, g.REMARKS, n), 0.7),
            "col7": g.sparse(rng, g.resident_ids(rng, n), 0.9),
        }
    )
    truth = {"xm": {PERSON}, "sfzh": {ID}, "tel": {PHONE}, "addr": {LOCATION}, "phone_half_masked": {PHONE},
             "col7": {ID}}
    return Table("dirty + masked + sparse", frame, truth)


def statistics(rng: np.random.Generator, n: int = 60) -> Table:
    frame = pd.DataFrame(
        {
            "区县": g.districts(rng, n),
            "年份": g._pick(rng, ["2021", "2022", "2023"], n),
            "营业收入合计": g.amounts(rng, n),
            "常住人口": rng.integers(10_000, 900_000, n).astype(str).astype(object),
            "居民消费价格指数": g._pick(rng, ["101.2", "102.0", "99.8"], n),
        }
    )
    return Table("district statistics", frame, {})


def faker_people(seed: int, n: int = 300) -> Table:
    """An independent generator (Faker zh_CN), so the set is not only shaped like our own rules."""
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    frame = pd.DataFrame(
        {
            "联系人": [fake.name() for _ in range(n)],
            "证件号码": [fake.ssn() for _ in range(n)],
            "电话": [fake.phone_number() for _ in range(n)],
            "通讯地址": [fake.address() for _ in range(n)],
            "工作单位": [fake.company() for _ in range(n)],
            "职位": [fake.job() for _ in range(n)],
            "邮箱": [fake.email() for _ in range(n)],
            "车牌": [fake.license_plate() for _ in range(n)],
            "卡号": [fake.credit_card_number() for _ in range(n)],
            "ip": [fake.ipv4() if i % 4 else fake.ipv6() for i in range(n)],
            "说明": [fake.sentence() for _ in range(n)],
        }
    )
    truth = {"联系人": {PERSON}, "证件号码": {ID}, "电话": {PHONE}, "通讯地址": {LOCATION}, "邮箱": {EMAIL},
             "车牌": {PLATE}, "卡号": {CARD}, "ip": {IP}}
    return Table("faker zh_CN", frame, truth)


def build(folder: Path, seed: int = 2024) -> list[Table]:
    """All tables, round-tripped through CSV files in ``folder`` as the pipeline would read them."""
    rng = np.random.default_rng(seed)
    tables = [persons(rng), enterprises(rng), vehicles(rng), travellers(rng), decoys(rng), dirty(rng),
              statistics(rng), faker_people(seed)]
    out = []
    for i, table in enumerate(tables):
        path = folder / f"table_{i}.csv"
        table.frame.to_csv(path, index=False, encoding=table.encoding)
        frame = pd.read_csv(path, dtype=str, encoding=table.encoding, keep_default_na=False, na_values=[""])
        out.append(Table(table.name, frame, table.truth, table.encoding))
    return out
