"""The second labelled set: agency exports built deliberately unlike the first (``labelled.py``).

The first set has one clean header row per table, Chinese or plain English headers, one entity
per column and decoys that fail a check. Exports from case-handling and registration systems
look different, and this set is written from the causes issue 12 lists and from such exports:

- Excel workbooks with a title row and a merged two-level header (基本信息 / 联系方式 over the
  fields), read back with pandas and flattened to ``group_field`` headers, as a steward would;
- pinyin abbreviations for headers (xm, zjhm, sjhm, gddh, gzdw, cjh, hphm …), and headers
  that lie (a 身份证号 column of order numbers, a 联系电话 column of timestamps);
- mixed columns: one 证件号码 column holding resident IDs, passports, permits and residence
  cards together; one 账号 column of e-mails and mobiles;
- other document types and numbers: permits to Hong Kong/Macau and Taiwan, foreigners'
  permanent residence IDs (2023 form), HK/Macau/Taiwan residence permits, social security card
  numbers, IMEIs, VINs, landlines with extensions and brackets;
- unsalted digests of resident IDs, coordinates (pairs, separate columns, DMS), romanized names;
- values with export prefixes (``TEL:``, a leading apostrophe that forces Excel text);
- decoys: checksum-failing numbers, order, waybill and e-invoice numbers, EAN-13 barcodes that
  pass their own check, meter numbers, masked values, timestamps, band labels and pseudonyms
  written by an earlier release, UUIDs, amounts with three decimals.

Truth is column level, as in the first set. Deterministic for a seed; written to XLSX/CSV in a
temporary folder and read back as text.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from . import agency as g
from .labelled import CARD, EMAIL, HMT, ID, PASSPORT, PERSON, PHONE, PLATE, USCC, Table

HKM_TRAVEL, TW_TRAVEL = "CN_HK_MACAU_TRAVEL_PERMIT", "CN_TW_TRAVEL_PERMIT"
RESIDENCE, FOREIGN_PR, SOCIAL_CARD = "CN_HMT_RESIDENCE_PERMIT", "CN_FOREIGNER_PR_ID", "CN_SOCIAL_SECURITY_CARD"
IMEI, VIN, HASHED, GEO = "IMEI", "VEHICLE_VIN", "HASHED_IDENTIFIER", "GEO_COORDINATE"

PINYIN_SURNAMES = ["Zhao", "Qian", "Sun", "Li", "Zhou", "Wu", "Zheng", "Wang", "Feng", "Chen", "Chu", "Wei",
                   "Jiang", "Shen", "Han", "Yang", "Zhu", "Qin", "Xu", "He", "Lv", "Shi", "Zhang", "Kong",
                   "Cao", "Yan", "Hua", "Jin", "Tao", "Ouyang", "Sima", "Zhuge", "Shangguan", "Murong"]
PINYIN_GIVEN = ["hao", "ran", "xiao", "dong", "jia", "yi", "ming", "yu", "zi", "han", "wei", "fang", "jun", "jie",
                "tao", "lei", "xin", "yue", "chen", "hui", "ting", "qiang", "bo", "lin", "na", "yan", "kai", "rui"]
COMPANIES = ["济南鲁信科技有限公司", "青岛海川贸易有限公司", "山东明德建设集团", "烟台远航物流有限公司",
             "淄博华光陶瓷厂", "潍坊金桥食品股份有限公司", "历下区人民医院", "济南市第十中学"]
LICENCE_TYPES = ["居民身份证", "护照", "往来港澳通行证", "外国人永久居留身份证", "港澳台居民居住证"]


def _luhn_complete(bodies: np.ndarray) -> np.ndarray:
    out = []
    for body in bodies:
        digits = [int(c) for c in body]
        total = 0
        for i, d in enumerate(reversed(digits)):
            d = d * 2 if i % 2 == 0 else d
            total += d - 9 if d > 9 else d
        out.append(body + str((10 - total % 10) % 10))
    return np.asarray(out, dtype=object)


def _mod11_2(bodies: np.ndarray) -> np.ndarray:
    weights = g.RIC_WEIGHTS
    total = (g._matrix(bodies, 17) - 48) @ weights
    return g._cat(bodies, np.asarray(list("10X98765432"), dtype=object)[total % 11])


def _dates(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.asarray([d.replace("-", "") for d in g.birth_dates(rng, n)], dtype=object)


def residence_permits(rng: np.random.Generator, n: int) -> np.ndarray:
    return _mod11_2(g._cat(g._pick(rng, ["810000", "820000", "830000"], n), _dates(rng, n), g._digits(rng, n, 3)))


def foreign_pr_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """2023 form: 9 + province + numeric nationality code + birth date + sequence + MOD 11-2."""
    body = g._cat("9", g._pick(rng, ["11", "31", "37", "44", "32"], n),
                  g._pick(rng, ["840", "410", "392", "276", "250", "643", "826"], n), _dates(rng, n),
                  g._digits(rng, n, 3))
    return _mod11_2(body)


def hk_macau_travel_permits(rng: np.random.Generator, n: int) -> np.ndarray:
    old = g._cat("C", g._digits(rng, n, 8))
    new = g._cat("C", g._pick(rng, list("ABCDEFGHJKLMNP"), n), g._digits(rng, n, 7))
    return np.where(rng.random(n) < 0.5, old, new)


def imeis(rng: np.random.Generator, n: int) -> np.ndarray:
    return _luhn_complete(g._cat(g._pick(rng, ["35", "86", "01", "99"], n), g._digits(rng, n, 12)))


def vins(rng: np.random.Generator, n: int, valid: bool = True) -> np.ndarray:
    chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    values = dict(zip("0123456789", range(10), strict=True)) | dict(
        zip("ABCDEFGHJKLMNPRSTUVWXYZ", [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9],
            strict=True))
    weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
    out = []
    for _ in range(n):
        body = ["L"] + [chars[i] for i in rng.integers(0, len(chars), 16)]
        total = sum(values[c] * w for c, w in zip(body, weights, strict=True)) % 11
        check = "X" if total == 10 else str(total)
        body[8] = check if valid else ("0" if check != "0" else "1")
        out.append("".join(body))
    return np.asarray(out, dtype=object)


def ean13(rng: np.random.Generator, n: int) -> np.ndarray:
    """Barcodes that pass their own (EAN-13) check digit."""
    bodies = g._cat(g._pick(rng, ["690", "692", "693", "695"], n), g._digits(rng, n, 9))
    out = []
    for body in bodies:
        total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
        out.append(body + str((10 - total % 10) % 10))
    return np.asarray(out, dtype=object)


def romanized(rng: np.random.Generator, n: int, style: str) -> np.ndarray:
    surname = g._pick(rng, PINYIN_SURNAMES, n)
    first, second = g._pick(rng, PINYIN_GIVEN, n), g._pick(rng, PINYIN_GIVEN, n)
    one = rng.random(n) < 0.3
    given = np.where(one, np.char.capitalize(first.astype(str)).astype(object),
                     np.char.capitalize((first + second).astype(str)).astype(object))
    if style == "passport":  # ZHAO Haoran
        return g._cat(np.char.upper(surname.astype(str)).astype(object), " ", given)
    return g._cat(given, " ", surname)  # Haoran Zhao


def coordinates(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    lat = np.round(rng.uniform(36.55, 36.75, n), 5).astype(str).astype(object)
    lon = np.round(rng.uniform(116.85, 117.25, n), 5).astype(str).astype(object)
    return lat, lon


def dms(rng: np.random.Generator, n: int) -> np.ndarray:
    m1, s1, m2, s2 = (rng.integers(0, 60, n) for _ in range(4))
    return np.asarray([f"36°{a}′{b}″N, 117°{c}′{d}″E" for a, b, c, d in zip(m1, s1, m2, s2, strict=True)],
                      dtype=object)


def export_prefixed(rng: np.random.Generator, values: np.ndarray, prefix: str, share: float) -> np.ndarray:
    out = values.copy()
    pick = rng.random(len(values)) < share
    out[pick] = g._cat(prefix, values[pick])
    return out


def household_export(rng: np.random.Generator, n: int = 400) -> Table:
    """户籍人员信息导出 (XLSX): merged two-level header, pinyin field names, a mixed 证件号码."""
    kinds = rng.choice(5, n, p=[0.35, 0.2, 0.15, 0.15, 0.15])
    numbers = np.empty(n, dtype=object)
    for kind, make in enumerate((g.resident_ids, lambda r, k: g._cat("E", g._digits(r, k, 8)),
                                 hk_macau_travel_permits, foreign_pr_ids, residence_permits)):
        pick = kinds == kind
        numbers[pick] = make(rng, int(pick.sum()))
    mobiles = export_prefixed(rng, g.mobiles(rng, n), "TEL:", 0.3)
    landlines = g._cat(g._pick(rng, ["(0531)", "0531 ", "0532-"], n), g._pick(rng, list("2345678"), n),
                       g._digits(rng, n, 7))
    landlines = np.where(rng.random(n) < 0.2, g._cat(landlines, "-", g._digits(rng, n, 3)), landlines)
    frame = pd.DataFrame({
        ("基本信息", "xm"): g.names(rng, n),
        ("基本信息", "xb"): g._pick(rng, ["男", "女"], n),
        ("基本信息", "csrq"): g.birth_dates(rng, n),
        ("证件信息", "zjlx"): np.asarray(LICENCE_TYPES, dtype=object)[kinds],
        ("证件信息", "zjhm"): numbers,
        ("联系方式", "sjhm"): mobiles,
        ("联系方式", "gddh"): landlines,
        ("工作信息", "gzdw"): g._pick(rng, COMPANIES, n),
        ("工作信息", "zw"): g._pick(rng, g.OCCUPATIONS, n),
    })
    truth = {"基本信息_xm": {PERSON}, "证件信息_zjhm": {ID, PASSPORT, HKM_TRAVEL, FOREIGN_PR, RESIDENCE},
             "联系方式_sjhm": {PHONE}, "联系方式_gddh": {PHONE}}
    return Table("household export (xlsx, merged header)", frame, truth)


def accounts(rng: np.random.Generator, n: int = 400) -> Table:
    """平台账号: mixed account column, devices, a digest of the resident ID, UUID session ids."""
    account = g._cat(g._pick(rng, ["zhang", "li", "wang", "user", "jn"], n), g._digits(rng, n, 4), "@",
                     g._pick(rng, ["163.com", "qq.com", "sina.com"], n))
    phones = rng.random(n) < 0.3
    account[phones] = g.mobiles(rng, int(phones.sum()))
    ids = g.resident_ids(rng, n)
    frame = pd.DataFrame({
        "账号": account,
        "sbh_imei": imeis(rng, n),
        "sfzh_sha256": np.asarray([hashlib.sha256(v.encode()).hexdigest() for v in ids], dtype=object),
        "zjhm_md5": np.asarray([hashlib.md5(v.encode()).hexdigest().upper() for v in ids], dtype=object),
        "session_id": np.asarray([hashlib.md5(f"s{i}".encode()).hexdigest()[:12] + "4" + "a" * 3 +
                                  "8" + hashlib.sha1(f"{i}".encode()).hexdigest()[:15] for i in range(n)],
                                 dtype=object),
        "zcsj": g._cat(g.birth_dates(rng, n), " ", g._pick(rng, ["08:15:02", "12:00:31", "23:59:59"], n)),
        "dlcs": rng.integers(1, 400, n).astype(str).astype(object),
    })
    truth = {"账号": {EMAIL, PHONE}, "sbh_imei": {IMEI}, "sfzh_sha256": {HASHED}, "zjhm_md5": {HASHED}}
    return Table("accounts", frame, truth)


def vehicles(rng: np.random.Generator, n: int = 300) -> Table:
    """车辆登记: VINs, plates written with a space, romanized owner names, engine numbers."""
    plates = g.plates(rng, n)
    plates = np.asarray([p[:2] + " " + p[2:] if i % 2 else p for i, p in enumerate(plates)], dtype=object)
    frame = pd.DataFrame({
        "cjh": vins(rng, n),
        "hphm": plates,
        "syr": g.names(rng, n),
        "owner_name_en": romanized(rng, n, "passport"),
        "fdjh": g._cat(g._pick(rng, ["G4", "JL", "EA", "K1"], n), g._digits(rng, n, 6)),
        "djrq": g._cat(g._pick(rng, ["2019", "2021", "2023"], n), "-0", g._pick(rng, list("123456789"), n), "-1",
                       g._pick(rng, list("0123456789"), n)),
    })
    truth = {"cjh": {VIN}, "hphm": {PLATE}, "syr": {PERSON}, "owner_name_en": {PERSON}}
    return Table("vehicles (pinyin headers)", frame, truth)


def places(rng: np.random.Generator, n: int = 300) -> Table:
    """走访记录: coordinates as a pair, as separate columns and in DMS; prices with decimals."""
    lat, lon = coordinates(rng, n)
    frame = pd.DataFrame({
        "定位": g._cat(lat, ",", lon),
        "wd": lat,
        "jd": lon,
        "jwd_dms": dms(rng, n),
        "小区均价": np.round(rng.uniform(10, 180, n), 3).astype(str).astype(object),
        "走访人员": romanized(rng, n, "given-first"),
        "社区": g.districts(rng, n),
    })
    truth = {"定位": {GEO}, "wd": {GEO}, "jd": {GEO}, "jwd_dms": {GEO}, "走访人员": {PERSON}}
    return Table("field visits (coordinates)", frame, truth)


def social_security(rng: np.random.Generator, n: int = 300) -> Table:
    """社保参保: the social security number is the resident ID; card numbers; Taiwan permits."""
    ids = g.resident_ids(rng, n)
    frame = pd.DataFrame({
        "社会保障号码": export_prefixed(rng, ids, "'", 0.5),  # Excel text marker left in by the export
        "社保卡号": g._cat(g._pick(rng, list("ABCDEFG"), n), g._digits(rng, n, 8)),
        "yhzh": _luhn_complete(g._cat("621700", g._digits(rng, n, 12))),
        "cbdw_tyshxydm": g.usccs(rng, n),
        "台胞证号": g._digits(rng, n, 8),
        "赴台证件号码": g._cat("L", g._digits(rng, n, 8)),
        "hxz": g._cat(g._pick(rng, ["H", "M"], n), g._digits(rng, n, 10)),
        "jfjs": g.amounts(rng, n),
    })
    truth = {"社会保障号码": {ID}, "社保卡号": {SOCIAL_CARD}, "yhzh": {CARD}, "cbdw_tyshxydm": {USCC},
             "台胞证号": {HMT}, "赴台证件号码": {TW_TRAVEL}, "hxz": {HMT}}
    return Table("social security", frame, truth)


def enterprises(rng: np.random.Generator, n: int = 300) -> Table:
    """Credit codes that pass the GB 32100 check character but not the embedded organisation code."""
    codes = []
    alphabet = g.USCC_ALPHABET
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    for region, tail in zip(g._pick(rng, g.REGIONS, n), g._digits(rng, n, 9), strict=True):
        body = "91" + region + tail
        total = sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True))
        codes.append(body + alphabet[(31 - total % 31) % 31])
    frame = pd.DataFrame({"统一社会信用代码": np.asarray(codes, dtype=object),
                          "fddbr": g.names(rng, n),
                          "qymc": g._pick(rng, COMPANIES, n)})
    return Table("enterprises (check character only)", frame, {"统一社会信用代码": {USCC}, "fddbr": {PERSON}})


def decoys(rng: np.random.Generator, n: int = 400) -> Table:
    """Numbers that look like identifiers, under headers that lie, and labels of earlier releases."""
    ms = (rng.integers(1_600_000_000, 1_750_000_000, n) * 1000 + rng.integers(0, 1000, n)).astype(str)
    phones = g.mobiles(rng, n)
    frame = pd.DataFrame({
        "身份证号": g.order_numbers(rng, n),
        "联系电话": ms.astype(object),  # millisecond timestamps
        "sfzh": ean13(rng, n),
        "车架号": vins(rng, n, valid=False),
        "imei": g.failing(imeis(rng, n)),
        "订单号": g._cat("DD", g._digits(rng, n, 16)),
        "快递单号": g._cat("SF", g._digits(rng, n, 12)),
        "电子发票号码": g._cat("24", g._pick(rng, ["37", "11", "44"], n), g._digits(rng, n, 16)),
        "水表表号": g._cat("1", g._digits(rng, n, 13)),
        "sjhm_tm": g._cat(np.asarray([p[:3] for p in phones], dtype=object), "****",
                          np.asarray([p[7:] for p in phones], dtype=object)),
        "sfzh_tm": g._cat(g._pick(rng, g.REGIONS, n), "********", g._digits(rng, n, 4)),
        "收入区间": np.asarray([f"{k * 5000}-{k * 5000 + 5000}" for k in rng.integers(1, 30, n)], dtype=object),
        "xm_py": np.asarray([f"P{hashlib.sha256(f'p{i}'.encode()).hexdigest()[:16]}" for i in range(n)],
                            dtype=object),
        "gxsj": g._cat(g._pick(rng, ["20240301", "20231115"], n), g._digits(rng, n, 6)),
        "jine": np.round(rng.uniform(10, 170, n), 4).astype(str).astype(object),
    })
    return Table("decoys (lying headers, labels)", frame, {})


def _write_xlsx(table: Table, path: Path) -> Table:
    """A title row, then the merged two-level header; read back and flattened like a steward would."""
    frame = table.frame
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, startrow=1, sheet_name="导出")
        sheet = writer.sheets["导出"]
        sheet.cell(row=1, column=1, value="济南市某区户籍人员信息导出（2024年）")
    read = pd.read_excel(path, header=[1, 2], index_col=0, dtype=str, engine="openpyxl")
    groups = pd.Series([a for a, _ in read.columns]).mask(lambda s: s.str.startswith("Unnamed")).ffill()
    read.columns = [f"{a}_{b}" for a, (_, b) in zip(groups, read.columns, strict=True)]
    read = read.reset_index(drop=True)
    return Table(table.name, read, table.truth, table.encoding)


def build(folder: Path, seed: int = 2024) -> list[Table]:
    """All tables of the second set, round-tripped through XLSX (the household export) or CSV."""
    rng = np.random.default_rng(seed + 12)
    tables = [household_export(rng), accounts(rng), vehicles(rng), places(rng), social_security(rng),
              enterprises(rng), decoys(rng)]
    out = [_write_xlsx(tables[0], folder / "household.xlsx")]
    for i, table in enumerate(tables[1:]):
        path = folder / f"export_{i}.csv"
        table.frame.to_csv(path, index=False, encoding="gb18030" if i % 2 else "utf-8-sig")
        frame = pd.read_csv(path, dtype=str, encoding="gb18030" if i % 2 else "utf-8-sig", keep_default_na=False,
                            na_values=[""])
        out.append(Table(table.name, frame, table.truth))
    return out
