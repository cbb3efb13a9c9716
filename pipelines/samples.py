"""Built-in sample agency data for Jinan: deterministic, realistic, checksum-valid.

Three datasets that exercise every path of the pipeline:
- 社会保险参保登记 (UTF-8 CSV): personal data declared not open, released as conditional after desensitization;
- 企业经营信息 (SQLite table): enterprise data with trade-secret figures, declared not open;
- 公共文化场馆名录 (GBK CSV): a clean public list, unconditional.
The same seed gives the same bytes, so the samples in configs/samples are reproducible by `kaifang samples`.
"""

from __future__ import annotations

import csv
import random
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import phonenumbers
from faker import Faker
from stdnum import luhn
from stdnum.cn import ric, uscc

SEED = 20261126

# GB/T 2260 codes of Jinan's districts and counties (facts from the standard).
JINAN_DISTRICTS = {
    "370102": "历下区", "370103": "市中区", "370104": "槐荫区", "370105": "天桥区", "370112": "历城区",
    "370113": "长清区", "370114": "章丘区", "370115": "济阳区", "370116": "莱芜区", "370117": "钢城区",
    "370124": "平阴县", "370126": "商河县",
}
STREETS = [
    "经十路", "泉城路", "解放路", "历山路", "山大路", "二环东路", "舜耕路", "英雄山路", "工业南路",
    "花园路", "北园大街", "经七路", "纬二路", "堤口路", "张庄路", "旅游路", "凤鸣路", "龙山大道",
]
INSURANCE_TYPES = ["城镇职工基本养老保险", "职工基本医疗保险", "失业保险", "工伤保险", "城乡居民基本养老保险"]
INDUSTRIES = ["制造业", "批发和零售业", "信息传输、软件和信息技术服务业", "建筑业", "租赁和商务服务业",
              "科学研究和技术服务业", "住宿和餐饮业", "交通运输、仓储和邮政业"]
COMPANY_WORDS = ["泉城", "齐鲁", "华信", "鲁能", "明湖", "趵突", "千佛", "黄河", "海右", "舜华", "历山",
                 "金泉", "鹊华", "章丘", "浪潮", "广电", "博远", "瑞丰", "汇通", "恒信"]
COMPANY_KINDS = ["科技", "商贸", "建设", "物流", "医药", "食品", "软件", "机械", "文化传媒", "环保"]
VENUE_KINDS = [("图书馆", "图书馆"), ("文化馆", "文化馆"), ("博物馆", "博物馆"), ("美术馆", "美术馆"),
               ("综合文化站", "文化站"), ("非遗展示馆", "展示馆")]
COMPOUND_SURNAMES = ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐"]
MINORITY_NAMES = ["阿依古丽·买买提", "古丽娜尔·吐尔逊", "扎西·次仁", "巴特尔·那顺"]


class _Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)

    def resident_id(self, region: str, birth: date, male: bool) -> str:
        seq = self.rng.randrange(0, 100) * 10 + self.rng.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
        body = f"{region}{birth:%Y%m%d}{seq:03d}"
        return body + ric.calc_check_digit(body + "0")  # stdnum drops the last character

    def mobile(self) -> str:
        while True:
            number = self.fake.phone_number()
            parsed = phonenumbers.parse(number, "CN")
            if phonenumbers.is_valid_number(parsed) and number.startswith("1"):
                return number

    def landline(self) -> str:
        return f"0531-{self.rng.choice('2345678')}{self.rng.randrange(0, 10**7):07d}"

    def person_name(self) -> str:
        roll = self.rng.random()
        if roll < 0.03:
            return self.rng.choice(COMPOUND_SURNAMES) + self.fake.first_name()
        if roll < 0.04:
            return self.rng.choice(MINORITY_NAMES)
        return self.fake.name()

    def address(self, district: str) -> str:
        street = self.rng.choice(STREETS)
        return (f"济南市{district}{street}{self.rng.randrange(1, 300)}号{self.rng.randrange(1, 30)}号楼"
                f"{self.rng.randrange(1, 6)}单元{self.rng.randrange(1, 30)}{self.rng.randrange(1, 4):02d}室")

    def remark(self, region: str) -> str:
        """Case-worker remarks: mostly routine, sometimes with a phone, a name or an ID inside."""
        roll = self.rng.random()
        if roll < 0.35:
            return ""
        if roll < 0.45:
            return f"本人联系电话变更为{self.mobile()}，已核实。"
        if roll < 0.52:
            birth, male = self.birth_date(), self.rng.random() < 0.5
            return f"委托{self.person_name()}代为办理，代办人身份证号{self.resident_id(region, birth, male)}。"
        if roll < 0.58:
            return f"户籍迁入，新住址{self.address(JINAN_DISTRICTS[region])}。"
        return self.rng.choice(["按时足额缴费。", "单位统一办理参保登记。", "补缴2019年度保费，手续齐全。",
                                "转入本市继续参保，关系已接续。", "资料齐全，审核通过。"])

    def person(self, region: str, birth: date, male: bool, names: tuple[str, ...]) -> dict[str, str]:
        """Name, sex, birth date, resident ID, mobile, address and district, under the export's column names."""
        values = [self.person_name(), "男" if male else "女", birth.isoformat(), self.resident_id(region, birth, male),
                  self.mobile(), self.address(JINAN_DISTRICTS[region]), JINAN_DISTRICTS[region]]
        return dict(zip(names, values, strict=True))

    def birth_date(self) -> date:
        return date(1955, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 50))

    def company_name(self, used: set[str]) -> str:
        while True:
            name = f"济南{self.rng.choice(COMPANY_WORDS)}{self.rng.choice(COMPANY_KINDS)}有限公司"
            if name not in used:
                used.add(name)
                return name

    def uscc(self, region: str) -> str:
        alphabet = "0123456789"
        org = "".join(self.rng.choice(alphabet) for _ in range(8))
        weights = [3, 7, 9, 10, 5, 8, 4, 2]
        check = 11 - sum(int(c) * w for c, w in zip(org, weights, strict=True)) % 11
        org += {10: "X", 11: "0"}.get(check, str(check))
        body = f"91{region}{org}"
        return body + uscc.calc_check_digit(body)


def social_insurance_rows(count: int = 2000, seed: int = SEED) -> list[dict[str, str]]:
    gen = _Generator(seed)
    used_companies: set[str] = set()
    employers = [gen.company_name(used_companies) for _ in range(25)]
    rows = []
    for i in range(count):
        region = gen.rng.choice(list(JINAN_DISTRICTS))
        male = gen.rng.random() < 0.52
        birth = gen.birth_date()
        enrolled = date(2015, 1, 1) + timedelta(days=gen.rng.randrange(0, 365 * 10))
        rows.append({
            "参保人编号": f"SI{i + 1:07d}",
            **gen.person(region, birth, male, ("姓名", "性别", "出生日期", "身份证号", "手机号码", "住址", "区县")),
            "工作单位": gen.rng.choice(employers),
            "参保险种": gen.rng.choice(INSURANCE_TYPES),
            "参保日期": enrolled.isoformat(),
            "缴费基数": str(gen.rng.randrange(40, 300) * 100),
            "备注": gen.remark(region),
        })
    return rows


def enterprise_rows(count: int = 400, seed: int = SEED + 1) -> list[dict[str, object]]:
    gen = _Generator(seed)
    used: set[str] = set()
    rows = []
    for _ in range(count):
        region = gen.rng.choice(list(JINAN_DISTRICTS))
        revenue = round(gen.rng.lognormvariate(7.5, 1.2), 2)
        name = gen.company_name(used) if len(used) < 190 else f"济南{gen.fake.company_prefix()}{len(used)}有限公司"
        rows.append({
            "企业名称": name,
            "统一社会信用代码": gen.uscc(region),
            "法定代表人": gen.person_name(),
            "注册资本_万元": gen.rng.choice([50, 100, 200, 500, 1000, 3000, 5000]),
            "成立日期": (date(1998, 1, 1) + timedelta(days=gen.rng.randrange(0, 365 * 26))).isoformat(),
            "所属行业": gen.rng.choice(INDUSTRIES),
            "注册地址": f"济南市{JINAN_DISTRICTS[region]}{gen.rng.choice(STREETS)}{gen.rng.randrange(1, 500)}号",
            "联系电话": gen.mobile() if gen.rng.random() < 0.6 else gen.landline(),
            "营业收入_万元": revenue,
            "利润总额_万元": round(revenue * gen.rng.uniform(-0.1, 0.25), 2),
        })
        used.add(str(rows[-1]["企业名称"]))
    return rows


def venue_rows(seed: int = SEED + 2) -> list[dict[str, str]]:
    gen = _Generator(seed)
    rows = []
    for code, district in JINAN_DISTRICTS.items():
        for kind, short in VENUE_KINDS:
            if gen.rng.random() < 0.25 and short != "图书馆":
                continue
            rows.append({
                "场馆名称": f"济南市{district}{kind}",
                "类型": short,
                "区县": district,
                "行政区划代码": code,
                "地址": f"济南市{district}{gen.rng.choice(STREETS)}{gen.rng.randrange(1, 400)}号",
                "开放时间": gen.rng.choice(["周二至周日 9:00-17:00", "周一至周日 9:00-21:00", "周三至周日 9:30-16:30"]),
                "联系电话": gen.landline(),
                "经度": f"{116.8 + gen.rng.random() * 0.9:.6f}",
                "纬度": f"{36.4 + gen.rng.random() * 0.6:.6f}",
            })
    return rows


ALLOWANCE_KINDS = ["城市低保", "农村低保"]
ALLOWANCE_CLASSES = ["A类", "B类", "C类"]


def bank_card(gen: _Generator) -> str:
    """A Luhn-valid 19-digit debit card number of a Shandong bank's BIN range."""
    body = "621700" + "".join(str(gen.rng.randrange(10)) for _ in range(12))
    return body + luhn.calc_check_digit(body)


def allowance_rows(count: int = 2000, seed: int = SEED + 3) -> list[dict[str, str]]:
    """A 最低生活保障 (minimum living allowance) roster as a civil-affairs bureau exports it."""
    gen = _Generator(seed)
    rows = []
    for i in range(count):
        region = gen.rng.choice(list(JINAN_DISTRICTS))
        male = gen.rng.random() < 0.48
        birth = gen.birth_date()
        rows.append({
            "低保证编号": f"DB{370100 + i * 7 % 900:06d}{i + 1:05d}",
            **gen.person(region, birth, male, ("户主姓名", "性别", "出生日期", "身份证号码", "联系电话", "家庭住址",
                                               "区县")),
            "保障类型": gen.rng.choice(ALLOWANCE_KINDS),
            "保障类别": gen.rng.choice(ALLOWANCE_CLASSES),
            "家庭人口": str(gen.rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5])),
            "月保障金额": str(gen.rng.randrange(30, 260) * 5),
            "发放银行卡号": bank_card(gen),
            "纳入日期": (date(2016, 1, 1) + timedelta(days=gen.rng.randrange(0, 365 * 9))).isoformat(),
            "备注": gen.remark(region),
        })
    return rows


def write_roster(path: Path, count: int = 2000) -> Path:
    """The minimum-living-allowance roster as a GBK CSV export, for the steward's guide (docs/steward.md)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_csv(path, allowance_rows(count), "gbk")
    return path


def _write_csv(path: Path, rows: list[dict[str, str]], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _write_sqlite(path: Path, table: str, rows: list[dict[str, object]]) -> None:
    path.unlink(missing_ok=True)
    columns = list(rows[0])
    with sqlite3.connect(path) as connection:
        kinds = {str: "TEXT", int: "INTEGER", float: "REAL"}
        ddl = ", ".join(f'"{c}" {kinds[type(rows[0][c])]}' for c in columns)
        connection.execute(f'CREATE TABLE "{table}" ({ddl})')
        placeholders = ", ".join("?" for _ in columns)
        connection.executemany(f'INSERT INTO "{table}" VALUES ({placeholders})', [tuple(r.values()) for r in rows])
    connection.close()


SAMPLE_FILES = ("social_insurance.csv", "enterprises.sqlite", "cultural_venues_gbk.csv")


def write_samples(folder: Path) -> list[Path]:
    """Write the three sample sources into folder; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    insurance, enterprises, venues = (folder / name for name in SAMPLE_FILES)
    _write_csv(insurance, social_insurance_rows(), "utf-8")
    _write_sqlite(enterprises, "enterprise_operations", enterprise_rows())
    _write_csv(venues, venue_rows(), "gbk")
    return [insurance, enterprises, venues]
