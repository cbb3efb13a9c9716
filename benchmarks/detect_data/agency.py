"""Deterministic, vectorized generators of agency-style tables for the detector benchmarks.

Nothing here is real: names are drawn from common surnames and given-name characters,
identifiers are synthesised with correct check characters (computed here with numpy, not
with the detectors' code), decoys are built to *fail* the checks the way order numbers,
invoice codes, meter numbers and barcodes do in real exports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
COMPOUND = ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞建国文斌宇浩凯欣怡晨阳雪梅婷琳")
MINORITY = ["阿卜杜拉·买买提", "古丽·艾买提", "热依汗·吐尔逊", "扎西·多吉", "米拉·卓玛", "努尔·阿不都"]
REGIONS = ["110105", "110108", "120101", "310104", "320102", "330106", "350102", "370102", "370103",
           "370112", "370113", "410105", "420111", "440305", "440106", "500103", "510107", "610113",
           "650102", "530102"]
DISTRICTS = [("山东省", "济南市", "历下区"), ("山东省", "济南市", "市中区"), ("山东省", "青岛市", "市南区"),
             ("北京市", "", "朝阳区"), ("上海市", "", "徐汇区"), ("广东省", "深圳市", "南山区"),
             ("浙江省", "杭州市", "西湖区"), ("四川省", "成都市", "武侯区")]
ROADS = ["经十路", "泉城路", "解放路", "人民大道", "和平街", "中山北路", "建设路", "文化东路", "花园路", "青年巷"]
ESTATES = ["阳光小区", "幸福家园", "翠湖花园", "锦绣苑", "明珠大厦"]
MOBILE_PREFIXES = ["130", "131", "132", "135", "136", "138", "139", "150", "151", "158", "177", "186", "188", "199"]
PLATE_PROVINCES = list("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤川")
PLATE_LETTERS = list("ABCDEFGHJKLMNPQRSTUVWXYZ")
PLATE_CHARS = list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")
ETHNIC = ["汉族"] * 12 + ["回族", "满族", "蒙古族", "壮族", "维吾尔族", "藏族", "苗族"]
EDUCATION = ["本科", "大专", "高中", "初中", "硕士", "博士", "中专", "小学"]
OCCUPATIONS = ["教师", "工程师", "个体经营", "公务员", "医生", "退休", "自由职业", "学生", "农民", "司机"]
REMARKS = ["已办结", "材料齐全，准予登记。", "申请材料已补正，请于五个工作日内领取。", "无", "按规定办理",
           "退回补充材料，原因：证明文件过期。", "现场核查通过，符合发放条件。", "已电话告知办理结果。",
           "群众来访咨询社保缴费年限问题，已解答。", "因系统故障延期处理，已向申请人说明情况。"]
RIC_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _pick(rng: np.random.Generator, items: list[str], n: int) -> np.ndarray:
    return np.asarray(items, dtype=object)[rng.integers(0, len(items), n)]


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """n random digit strings of exactly ``width`` characters (leading zeros allowed)."""
    d = rng.integers(0, 10, (n, width), dtype=np.uint8) + 48
    return np.frombuffer(d.tobytes(), dtype=f"S{width}").astype(str).astype(object)


def _cat(*parts: np.ndarray | str) -> np.ndarray:
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return np.asarray(out, dtype=object)


def _matrix(strings: np.ndarray, width: int) -> np.ndarray:
    raw = np.asarray(strings.astype(str), dtype=f"S{width}")
    return np.frombuffer(raw.tobytes(), dtype=np.uint8).reshape(len(strings), width).astype(np.int64)


def names(rng: np.random.Generator, n: int) -> np.ndarray:
    out = _cat(_pick(rng, SURNAMES, n), _pick(rng, GIVEN, n))
    two = rng.random(n) < 0.65
    out[two] = _cat(out[two], _pick(rng, GIVEN, int(two.sum())))
    compound = rng.random(n) < 0.02
    out[compound] = _cat(_pick(rng, COMPOUND, int(compound.sum())), _pick(rng, GIVEN, int(compound.sum())))
    minority = rng.random(n) < 0.01
    out[minority] = _pick(rng, MINORITY, int(minority.sum()))
    return out


def birth_dates(rng: np.random.Generator, n: int) -> np.ndarray:
    days = rng.integers(0, (np.datetime64("2005-12-31") - np.datetime64("1940-01-01")).astype(int), n)
    return np.datetime_as_string(np.datetime64("1940-01-01") + days, unit="D").astype(object)


def resident_ids(rng: np.random.Generator, n: int, dates: np.ndarray | None = None) -> np.ndarray:
    dates = birth_dates(rng, n) if dates is None else dates
    compact = np.asarray([d.replace("-", "") for d in dates], dtype=object)
    body = _cat(_pick(rng, REGIONS, n), compact, _digits(rng, n, 3))
    total = (_matrix(body, 17) - 48) @ RIC_WEIGHTS
    check = np.asarray(list("10X98765432"), dtype=object)[total % 11]
    return _cat(body, check)


def failing(ids: np.ndarray) -> np.ndarray:
    """Same shape, wrong check character: what a mistyped or made-up number looks like."""
    last = np.asarray([s[-1] for s in ids], dtype=object)
    wrong = np.where(last == "1", "2", "1")
    return _cat(np.asarray([s[:-1] for s in ids], dtype=object), wrong)


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    return _cat(_pick(rng, MOBILE_PREFIXES, n), _digits(rng, n, 8))


def landlines(rng: np.random.Generator, n: int) -> np.ndarray:
    area = _pick(rng, ["0531-", "010-", "021-", "0532-", "(0755)", "0571-"], n)
    first = _pick(rng, list("2345678"), n)
    return _cat(area, first, _digits(rng, n, 7))


def dirty_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    m = mobiles(rng, n)
    style = rng.integers(0, 6, n)
    out = m.copy()
    fw = {ord(c): ord(c) + 0xFEE0 for c in "0123456789"}
    for i in np.flatnonzero(style):
        s = m[i]
        out[i] = [s, f"{s[:3]}-{s[3:7]}-{s[7:]}", f"{s[:3]} {s[3:7]} {s[7:]}", f"+86 {s}", f"86-{s}",
                  s.translate(fw)][style[i]]
    return out


def usccs(rng: np.random.Generator, n: int) -> np.ndarray:
    org = _digits(rng, n, 8)
    m = _matrix(org, 8) - 48
    r = 11 - (m @ np.array([3, 7, 9, 10, 5, 8, 4, 2])) % 11
    org_check = np.where(r == 10, "X", np.where(r == 11, "0", r.astype(str))).astype(object)
    body = _cat(_pick(rng, ["91", "92", "93", "12", "52"], n), _pick(rng, REGIONS, n), org, org_check)
    values = np.array([[USCC_ALPHABET.index(c) for c in b] for b in body])
    weights = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
    check = np.asarray(list(USCC_ALPHABET), dtype=object)[(31 - (values @ weights) % 31) % 31]
    return _cat(body, check)


def bank_cards(rng: np.random.Generator, n: int) -> np.ndarray:
    body = _cat(_pick(rng, ["622202", "621700", "622848", "623668", "436742"], n), _digits(rng, n, 12))
    d = _matrix(body, 18) - 48
    dbl = np.zeros(18, dtype=bool)
    dbl[17::-2] = True  # positions doubled once the check digit is appended
    dd = np.where(dbl, d * 2, d)
    dd = np.where(dd > 9, dd - 9, dd)
    check = ((10 - dd.sum(axis=1) % 10) % 10).astype(str).astype(object)
    return _cat(body, check)


def plates(rng: np.random.Generator, n: int) -> np.ndarray:
    serial = _cat(*[_pick(rng, PLATE_CHARS, n) for _ in range(2)], _digits(rng, n, 3))
    out = _cat(_pick(rng, PLATE_PROVINCES, n), _pick(rng, PLATE_LETTERS[:20], n), serial)
    ev = rng.random(n) < 0.2
    k = int(ev.sum())
    out[ev] = _cat(_pick(rng, PLATE_PROVINCES, k), _pick(rng, PLATE_LETTERS[:20], k), "·",
                   _pick(rng, ["D", "F"], k), _pick(rng, PLATE_CHARS, k), _digits(rng, k, 4))
    return out


def addresses(rng: np.random.Generator, n: int) -> np.ndarray:
    where = np.asarray(["".join(t) for t in DISTRICTS], dtype=object)[rng.integers(0, len(DISTRICTS), n)]
    number = rng.integers(1, 999, n).astype(str).astype(object)
    building = rng.integers(1, 30, n).astype(str).astype(object)
    unit = rng.integers(1, 6, n).astype(str).astype(object)
    room = (rng.integers(1, 30, n) * 100 + rng.integers(1, 4, n)).astype(str).astype(object)
    estate = rng.random(n) < 0.5
    street = _cat(_pick(rng, ROADS, n), number, "号")
    street[estate] = _pick(rng, ESTATES, int(estate.sum()))
    return _cat(where, street, building, "号楼", unit, "单元", room, "室")


def districts(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.asarray([t[2] for t in DISTRICTS], dtype=object)[rng.integers(0, len(DISTRICTS), n)]


def order_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """18-digit order / decision numbers: date prefix + sequence; checked to fail GB 11643."""
    return failing(_cat("2024", _digits(rng, n, 14)))


def invoice_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    return _cat(_pick(rng, ["1", "0"], n), _pick(rng, ["3700", "1100", "4403", "3100"], n), "2", _digits(rng, n, 1),
                _pick(rng, ["1", "2", "3"], n), _digits(rng, n, 3), _pick(rng, ["0", "1"], n))


def meter_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    return _cat(_pick(rng, ["10", "11", "12"], n), _digits(rng, n, 9))


def barcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    return _cat(_pick(rng, ["690", "691", "692", "693", "694", "695"], n), _digits(rng, n, 10))


def amounts(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.round(rng.gamma(2.0, 800.0, n), 2).astype(str).astype(object)


def remarks(rng: np.random.Generator, n: int, leak: float = 0.05) -> np.ndarray:
    """Case-handling remarks; a ``leak`` share mention a phone, an ID or a named contact."""
    out = _pick(rng, REMARKS, n)
    k = rng.random(n) < leak
    idx = np.flatnonzero(k)
    kind = rng.integers(0, 3, len(idx))
    phones = mobiles(rng, len(idx))
    ids = resident_ids(rng, len(idx))
    people = names(rng, len(idx))
    for j, i in enumerate(idx):
        out[i] = [
            f"申请人来电（{phones[j]}）询问进度，已答复。",
            f"经核对，身份证号{ids[j]}与户籍信息一致。",
            f"联系人{people[j]}，电话{phones[j][:3]}-{phones[j][3:7]}-{phones[j][7:]}，请尽快补交材料。",
        ][kind[j]]
    return out


def sparse(rng: np.random.Generator, values: np.ndarray, empty: float) -> np.ndarray:
    """Blank out an ``empty`` share of cells (NA, as the pipeline's readers produce)."""
    out = values.copy()
    out[rng.random(len(values)) < empty] = None
    return out


SPEED_COLUMNS = ["姓名", "性别", "出生日期", "身份证号", "联系电话", "家庭住址", "民族", "车牌号", "订单编号",
                 "缴费金额", "所在区县", "备注"]


def speed_table(rows: int, seed: int = 0) -> pd.DataFrame:
    """The 12-column agency table of the speed benchmark, as the pipeline reads it (dtype str)."""
    rng = np.random.default_rng(seed)
    dates = birth_dates(rng, rows)
    data = {
        "姓名": names(rng, rows),
        "性别": _pick(rng, ["男", "女"], rows),
        "出生日期": dates,
        "身份证号": resident_ids(rng, rows, dates),
        "联系电话": sparse(rng, mobiles(rng, rows), 0.05),
        "家庭住址": addresses(rng, rows),
        "民族": _pick(rng, ETHNIC, rows),
        "车牌号": sparse(rng, plates(rng, rows), 0.6),
        "订单编号": order_numbers(rng, rows),
        "缴费金额": amounts(rng, rows),
        "所在区县": districts(rng, rows),
        "备注": sparse(rng, remarks(rng, rows), 0.3),
    }
    return pd.DataFrame({k: pd.array(v, dtype="str") for k, v in data.items()})
