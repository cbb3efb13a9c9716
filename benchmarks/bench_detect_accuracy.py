"""Column-level detection accuracy of Kaifang's detectors against Presidio's built-in recognizers.

Run:  .venv/bin/python benchmarks/bench_detect_accuracy.py [--seed N] [--json]

The labelled set (benchmarks/detect_data/labelled.py) is generated deterministically: persons
(GBK file), enterprises, vehicles, travellers, decoy numbers that fail their checks, dirty and
masked formats, sparse columns and aggregate statistics. Each column's truth is the set of
entity types it holds. A detector "reports" a type for a column when it calls it present.

Baseline: Presidio's out-of-the-box predefined recognizers (RecognizerRegistry.load_predefined_
recognizers, NoOpNlpEngine since no spaCy model may be downloaded; its e-mail recognizer is
pointed at tldextract's bundled suffix list so it runs offline), applied to up to 200 cells per
column; a type is reported when it is found in at least half the cells, or in any cell of a
column whose cells average 15+ characters (prose). Presidio types with no Kaifang counterpart
(DATE_TIME, US_*, UK_*, …) count as false positives under OTHER.

A ninth table, case-worker remarks (built here), holds names in prose without the classic cue
words and a column of decoy remarks.

The second labelled set (benchmarks/detect_data/exports.py) is built deliberately unlike the first:
an XLSX export with a title row and merged two-level header, pinyin headers, headers that lie,
mixed columns, other document types, digests, coordinates, romanized names, export prefixes and
decoys (timestamps, barcodes passing EAN-13, waybill and e-invoice numbers, masked values, band
labels and pseudonyms of an earlier release). Both sets are scored in the same run.

The prose section scores PERSON spans in single sentences (``scan_text``), exact offsets, per
template group: ``--prose-only`` runs just that part.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from detect_data import agency as g  # noqa: E402
from detect_data import exports  # noqa: E402
from detect_data.labelled import Table, build  # noqa: E402

from detectors import profile_frame  # noqa: E402

PRESIDIO_TO_KAIFANG = {
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CRYPTO": "OTHER",
    "CREDIT_CARD": "CN_BANK_CARD",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IP_ADDRESS": "IP_ADDRESS",
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
}
SAMPLE = 200


def kaifang_predictions(tables: list[Table]) -> tuple[dict[tuple[str, str], set[str]], dict[str, float]]:
    """Column decisions, plus cell-level figures from the evidence.

    ``coverage``: in single-entity truth columns, the share of unmasked non-empty cells validated as
    the true type (dirty or garbage cells lower it). ``decoy_cells``: cells of the decoy and
    statistics tables validated as any identifier (these would be false alarms in the verify stage).
    """
    out = {}
    covered = total = decoy_cells = decoy_total = 0
    for table in tables:
        profile = profile_frame(table.frame)
        for column in profile.columns:
            out[(table.name, column.name)] = {e.type for e in column.entities}
            truth = table.truth.get(column.name, set())
            unmasked = column.non_empty - column.masked
            if len(truth) == 1 and not column.free_text:
                (kind,) = truth
                covered += sum(e.matches for e in column.evidence if e.type == kind)
                total += unmasked
            if not table.truth:
                decoy_cells += sum(e.matches for e in column.evidence if e.type != "TRADE_SECRET")
                decoy_total += column.non_empty
    cells = {"coverage": covered / total if total else 1.0, "decoy_cells": decoy_cells, "decoy_total": decoy_total}
    return out, cells


def presidio_engine():
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    offline = tldextract.TLDExtract(suffix_list_urls=())  # bundled snapshot, no download
    tldextract.extract = offline
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    nlp.load()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=None)
    registry.recognizers = [r for r in registry.recognizers if type(r).__name__ != "SpacyRecognizer"]
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def presidio_predictions(tables: list[Table]) -> dict[tuple[str, str], set[str]]:
    engine = presidio_engine()
    out = {}
    for table in tables:
        for name in table.frame.columns:
            cells = table.frame[name].dropna().astype(str).tolist()[:SAMPLE]
            found: Counter = Counter()
            for cell in cells:
                types = {PRESIDIO_TO_KAIFANG.get(r.entity_type, "OTHER") for r in engine.analyze(cell, language="en")}
                found.update(types)
            prose = bool(cells) and sum(map(len, cells)) / len(cells) >= 15
            out[(table.name, name)] = {
                t for t, count in found.items() if cells and (count / len(cells) >= 0.5 or prose)
            }
    return out


def score(tables: list[Table], predictions: dict[tuple[str, str], set[str]]) -> dict[str, dict[str, float]]:
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    for table in tables:
        for name in table.frame.columns:
            truth = table.truth.get(name, set())
            predicted = predictions[(table.name, name)]
            for t in predicted & truth:
                tp[t] += 1
            for t in predicted - truth:
                fp[t] += 1
            for t in truth - predicted:
                fn[t] += 1
    rows = {}
    for t in sorted(set(tp) | set(fp) | set(fn)) + ["overall"]:
        a, b, c = (sum(x.values()) for x in (tp, fp, fn)) if t == "overall" else (tp[t], fp[t], fn[t])
        precision = a / (a + b) if a + b else 1.0
        recall = a / (a + c) if a + c else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows[t] = {"tp": a, "fp": b, "fn": c, "precision": precision, "recall": recall, "f1": f1}
    return rows


def decoy_reports(tables: list[Table], predictions: dict[tuple[str, str], set[str]]) -> int:
    """Columns of the decoy tables (checksum-failing numbers, look-alikes) on which any identifier was reported."""
    return sum(1 for t in tables if t.name.startswith("decoys") for c in t.frame.columns if predictions[(t.name, c)])


# ---------------------------------------------------------------------------------------------
# Names in case-worker prose, span level.
#
# Remarks in agency tables name people without a cue word as often as with one (委托徐雪梅代为
# 办理, 经张伟同意, 王建国于2023年迁入). Each positive template below holds one or two names whose
# offsets are known; decoys hold place and organisation names and ordinary words that start with
# a surname character (张贴, 王府井, 高新区, 黄河路, 金额, 周末, 安全, 方便 …) and no person. Names
# come from two generators: the agency one (benchmarks/detect_data) and Faker zh_CN, whose
# surnames and given names were not chosen by us. Faker also supplies decoys (company names,
# addresses, filler sentences). A predicted span counts only when its offsets equal a true span.
# ---------------------------------------------------------------------------------------------

PROSE_TEMPLATES: dict[str, tuple[str, ...]] = {
    # new cue words right before the name
    "cue before": (
        "委托{a}代为办理，代办人身份证号{id}。",
        "经{a}同意，准予变更登记。",
        "由{a}负责后续跟进。",
        "代办人{a}持委托书及身份证原件办理。",
        "户主{a}，配偶{b}，均为本市户籍。",
        "监护人{a}签字确认。",
        "本人{a}承诺所填信息属实。",
        "父亲{a}已于{year}年去世。",
        "母亲{a}随子女居住。",
        "申请人{a}已补齐材料。",
        "经办人：{a}",
        "已通知{a}本人到窗口领取证件。",
        "与{a}电话核实，情况属实。",
        "请{a}于三个工作日内补交材料。",
        "受理人{a}，审核人{b}。",
        "交由{a}签收。",
    ),
    # no cue word before the name
    "no cue before": (
        "{a}于{year}年迁入本辖区。",
        "{a}来电反映小区噪音问题，已转社区处理。",
        "{a}称其房屋存在漏水情况。",
        "{a}因工作调动迁出。",
        "{a}、{b}夫妇申请公共租赁住房。",
        "{a}已领取补贴，{b}未到场。",
        "{a}表示对处理结果满意。",
        "{a}现居住在女儿家中。",
        "{a}的低保待遇自次月起停发。",
    ),
    # cue words the detectors knew before (regression check)
    "known cues": (
        "联系人{a}，电话{phone}，请尽快补交材料。",
        "请{a}女士前来办理。",
        "法定代表人为{a}。",
        "{a}同志已调离本单位。",
    ),
    # written after the rules were tuned on the groups above, and not tuned on
    "held-out": (
        "{a}反映楼上住户长期噪音扰民。",
        "经与{a}沟通，其同意延期。",
        "现场检查时{a}不在家。",
        "来访人{a}要求查询社保缴费记录。",
        "{a}（{id}）申请最低生活保障。",
        "据{a}介绍，该房屋已出租。",
        "{a}和{b}系母子关系。",
        "已电话联系{a}，无人接听。",
        "{a}本人到场办理。",
        "网格员{a}上门走访核实。",
        "{a}于今日上午到窗口提交材料。",
        "收件人：{a}，联系电话：{phone}",
        "由{a}、{b}共同签署承诺书。",
        "{a}名下有车辆一辆。",
        "{a}表示不服，将申请复议。",
        "患者{a}入院治疗。",
        "投诉人{a}称商家拒绝退款。",
        "{a}的母亲{b}已于去年去世。",
    ),
    # written last, run once for the figures in DETECTORS.md: no rule was changed after seeing it
    "held-out 2": (
        "接群众{a}来电，反映路灯损坏。",
        "{a}户籍已迁往外省。",
        "{a}系该企业实际控制人。",
        "此件由{a}跟进办理，{b}协助。",
        "{a}无法到场，委托其女儿{b}代领。",
        "当事人{a}对处罚决定无异议。",
        "{a}在窗口填写申请表时情绪激动。",
        "核实发现{a}已于{year}年死亡。",
        "请通知{a}携带原件复核。",
        "{a}与房东{b}存在租赁纠纷。",
        "走访中{a}称未收到补贴。",
        "{a}（户主）家庭人口三人。",
    ),
}

PROSE_DECOYS = (
    "请在张贴公告后到王府井营业厅办理。",
    "高新区黄河路段施工，请绕行。",
    "金额已退回原账户，周末不办公。",
    "注意安全，方便群众办事。",
    "章丘区明水街道办事处已受理。",
    "历下区政府与济南高新区管委会联合检查。",
    "经核对，材料齐全，准予登记。",
    "由于材料不全，暂缓办理。",
    "经研究决定，同意办理。",
    "由街道办事处负责后续跟进。",
    "委托律师事务所代为办理。",
    "经社区居委会同意，准予备案。",
    "户主变更手续已办结。",
    "申请人对处理结果表示满意。",
    "监护人未到场，延期办理。",
    "本人承诺所填信息属实。",
    "于2023年迁入本辖区。",
    "已向申请人说明情况。",
    "文明城市创建检查已通过。",
    "许可证已发放至企业。",
    "高峰时段窗口排队较长。",
    "向阳社区网格员已上门核查。",
    "黎明小区漏水问题已转物业。",
    "方正证券营业部提交的材料已归档。",
    "齐鲁医院出具的诊断证明已核验。",
    "王府井百货济南店申请延期。",
    "泉城路与黄河路交叉口设置临时停车点。",
    "周转房分配方案已公示。",
    "金桥公司申请变更法定代表人。",
    "常住人口登记卡已补办。",
    "程序合法，证据充分。",
    "安置房钥匙由社区统一发放。",
    "石化公司环评材料已上报。",
    "江苏省转来协查函一份。",
    "孙村街道办事处已出具证明。",
    "马山镇人民政府已盖章。",
    "任务已分派至各网格。",
    "付款凭证已上传系统。",
    "周一至周五正常办公。",
    "朱家峪景区门票收入统计已报送。",
    "经十路沿线商户已签订责任书。",
    "明水古城项目已完成验收。",
    "钱款已由财务科退回。",
    "高新技术企业认定材料已提交。",
    "白马山小区业主委员会提出申请。",
    "叶片清洗工作已完成。",
    "黄金珠宝店未按规定明码标价。",
    "陈列商品已全部下架。",
    "杨柳村委会出具证明一份。",
    "孔村镇卫生院已接收转诊。",
    "武装部通知已转发。",
    "康复中心床位已满。",
    "王舍人街道已完成入户调查。",
    "华山湖湿地公园开放时间调整。",
    "龙山街道提交整改报告。",
    "万象新天小区已完成消防检查。",
    "鲁能领秀城物业申请停车收费备案。",
    "石门坊景区已暂停营业。",
    "林业局已出具意见。",
    "邵而镇农业综合服务站已核查。",
)
HELD_OUT_DECOYS = (  # written after tuning, not tuned on
    "城管执法人员现场劝离流动摊贩。",
    "市场监管局对超市进行抽检。",
    "经查，该企业未按规定公示年报。",
    "由于天气原因，活动延期举行。",
    "同意按程序上报审批。",
    "请于周五前完成整改。",
    "张店区卫健局组织义诊活动。",
    "王村镇政府已受理该事项。",
    "李家庄村委会提出修路申请。",
    "高速公路入口临时管制。",
    "马路两侧禁止停车。",
    "黄岛区海关通报进口商品抽检情况。",
    "金鸡岭社区开展消防演练。",
    "林场防火检查已完成。",
    "曹县人民医院出具证明。",
    "周村古商城游客量统计已报送。",
    "任城区教育局转来信访件一件。",
    "江北片区道路改造工程开工。",
    "白云机场航班延误信息已通报。",
    "石桥小学周边交通整治完成。",
    "何时办结请电话告知。",
    "方便面生产企业抽检合格。",
    "安全生产月活动总结已上报。",
    "杨树叶清扫工作已安排。",
    "董事会决议已备案。",
    "程序性审查已完成，符合受理条件。",
    "常规检查未发现问题。",
    "向社会公开征求意见。",
    "于本月底前完成验收。",
    "经费已拨付到位。",
)
HELD_OUT_DECOYS_2 = (  # written last, run once: no rule was changed after seeing it
    "接群众来电，反映路灯损坏。",
    "户籍已迁往外省。",
    "该企业实际控制人未变更。",
    "此件由社区跟进办理，街道协助。",
    "本人无法到场，委托他人代领。",
    "当事人对处罚决定无异议。",
    "窗口填写申请表时情绪激动。",
    "核实发现该户已于去年注销。",
    "请通知申请人携带原件复核。",
    "房东与租户存在租赁纠纷。",
    "走访中群众称未收到补贴。",
    "家庭人口三人，均为农业户口。",
    "朝阳街道办事处转来群众诉求。",
    "华阳路与高新路交叉口信号灯故障。",
    "鲁西南片区供水管网改造。",
    "潘家园市场周末客流较大。",
    "宋庄镇卫生院开展义诊。",
    "黄台电厂周边噪声监测达标。",
    "田园综合体项目已立项。",
    "林荫大道绿化提升工程完工。",
)


@dataclass
class Sentence:
    text: str
    spans: list[tuple[int, int]]
    group: str


def _fill(template: str, names: list[str], extra: dict[str, str], group: str) -> Sentence:
    """Format a template, recording where each name lands."""
    text, spans, rest, k = "", [], template, 0
    while rest:
        head, brace, rest = rest.partition("{")
        text += head
        if not brace:
            break
        key, _, rest = rest.partition("}")
        if key in ("a", "b"):
            name = names[k]
            k += 1
            spans.append((len(text), len(text) + len(name)))
            text += name
        else:
            text += extra[key]
    return Sentence(text, spans, group)


def prose_sentences(seed: int, per_template: int = 20) -> list[Sentence]:
    """Positive sentences (templates x names from two generators) and decoy sentences, deterministic."""
    from faker import Faker

    rng = np.random.default_rng(seed + 7)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    out: list[Sentence] = []
    for group, templates in PROSE_TEMPLATES.items():
        for template in templates:
            ours = g.names(rng, per_template)
            ids = g.resident_ids(rng, per_template)
            phones = g.mobiles(rng, per_template)
            for i in range(per_template):
                source = [str(ours[i]), str(ours[(i + 1) % per_template])] if i % 2 else [fake.name(), fake.name()]
                extra = {"id": str(ids[i]), "phone": str(phones[i]), "year": str(2000 + i)}
                out.append(_fill(template, source, extra, group))
    out.extend(Sentence(text, [], "decoy: hand-written") for text in PROSE_DECOYS)
    out.extend(Sentence(text, [], "decoy: held-out") for text in HELD_OUT_DECOYS)
    out.extend(Sentence(text, [], "decoy: held-out 2") for text in HELD_OUT_DECOYS_2)
    for _ in range(100):
        out.append(Sentence(f"{fake.company()}提交了年度报告。", [], "decoy: Faker"))
        out.append(Sentence(f"材料已寄往{fake.address()}。", [], "decoy: Faker"))
        out.append(Sentence(fake.sentence(), [], "decoy: Faker"))
    return out


def prose_scores(sentences: list[Sentence]) -> dict[str, dict[str, float]]:
    """Span-level PERSON precision/recall per group and overall (exact offsets)."""
    from detectors import scan_text

    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    flagged: Counter = Counter()
    count: Counter = Counter()
    for sentence in sentences:
        found = {(s.start, s.end) for s in scan_text(sentence.text, entities=["PERSON"])}
        truth = set(sentence.spans)
        for key in (sentence.group, "overall"):
            tp[key] += len(found & truth)
            fp[key] += len(found - truth)
            fn[key] += len(truth - found)
            flagged[key] += bool(found - truth)
            count[key] += 1
    rows = {}
    for key in [*dict.fromkeys(s.group for s in sentences), "overall"]:
        a, b, c = tp[key], fp[key], fn[key]
        precision = a / (a + b) if a + b else 1.0
        recall = a / (a + c) if a + c else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows[key] = {"sentences": count[key], "tp": a, "fp": b, "fn": c, "precision": precision, "recall": recall,
                     "f1": f1, "sentences_with_fp": flagged[key]}
    return rows


def remarks_frame(seed: int, n: int = 400) -> tuple[pd.DataFrame, int, bool]:
    """A remarks column where 15% of cells name someone in the prose forms above, and a column of
    decoy remarks (places, organisations, surname-initial words) naming nobody; also how many
    cells name someone and whether an ID number is among them."""
    rng = np.random.default_rng(seed + 11)
    sentences = prose_sentences(seed, per_template=4)
    positives = [s.text for s in sentences if s.spans and s.group not in ("known cues", "held-out", "held-out 2")]
    decoys = [s.text for s in sentences if not s.spans and not s.text.startswith("材料已寄往")]  # no addresses
    remarks = g._pick(rng, g.REMARKS, n)
    named = np.flatnonzero(rng.random(n) < 0.15)
    remarks[named] = g._pick(rng, positives, len(named))
    frame = pd.DataFrame({"办理情况": remarks, "处理意见": g._pick(rng, decoys, n)}, dtype="str")
    return frame, len(named), any("身份证号" in t for t in remarks[named])


def remarks_table(seed: int) -> Table:
    frame, _, has_id = remarks_frame(seed)
    return Table("case-worker remarks", frame, {"办理情况": {"PERSON", "CN_RESIDENT_ID"} if has_id else {"PERSON"}})


def remarks_cells(seed: int) -> dict[str, int]:
    """Cell level on the remarks table: named cells the profiler finds, decoy cells it flags."""
    frame, named, _ = remarks_frame(seed)
    profile = profile_frame(frame)

    def person(column: str) -> int:
        return sum(e.matches for e in profile.column(column).evidence if e.type == "PERSON")

    return {"named_cells": named, "named_cells_found": person("办理情况"), "decoy_cells": len(frame),
            "decoy_cells_flagged": person("处理意见")}


def print_prose(rows: dict[str, dict[str, float]], remarks: dict[str, int]) -> None:
    print("PERSON spans in prose (exact offsets; scan_text, entities=[PERSON]):")
    print(f"{'group':22s} {'sentences':>9s} {'P':>6s} {'R':>6s} {'F1':>6s} {'tp/fp/fn':>11s} {'with fp':>8s}")
    for group, row in rows.items():
        counts = f"{row['tp']}/{row['fp']}/{row['fn']}"
        print(f"{group:22s} {row['sentences']:9d} {row['precision']:6.3f} {row['recall']:6.3f} {row['f1']:6.3f} "
              f"{counts:>11s} {row['sentences_with_fp']:8d}")
    print(f"profile_frame on the case-worker remarks table: PERSON in {remarks['named_cells_found']} of "
          f"{remarks['named_cells']} cells that name someone; {remarks['decoy_cells_flagged']} of "
          f"{remarks['decoy_cells']} decoy remark cells flagged")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-presidio", action="store_true", help="skip the Presidio baseline")
    parser.add_argument("--prose-only", action="store_true", help="only the span-level PERSON-in-prose figures")
    args = parser.parse_args(argv)

    sentences = prose_sentences(args.seed)
    started = time.perf_counter()
    prose = prose_scores(sentences)
    prose_seconds = time.perf_counter() - started
    remarks = remarks_cells(args.seed)
    if args.prose_only:
        if args.json:
            print(json.dumps({"prose": prose, "remarks_cells": remarks}, ensure_ascii=False, indent=2))
        else:
            print(f"{len(sentences)} sentences, {prose_seconds:.2f} s")
            print_prose(prose, remarks)
        return 0

    with tempfile.TemporaryDirectory() as folder:
        tables = build(Path(folder), seed=args.seed)
        second = exports.build(Path(folder), seed=args.seed)
    tables.append(remarks_table(args.seed))
    first = evaluate(tables, args.no_presidio)
    other = evaluate(second, args.no_presidio)

    if args.json:
        print(json.dumps({**first, "second_set": other, "prose": prose, "remarks_cells": remarks},
                         ensure_ascii=False, indent=2))
        return 0
    print_set("Labelled set 1 (benchmarks/detect_data/labelled.py)", first, args.seed)
    print()
    print_set("Labelled set 2, agency exports (benchmarks/detect_data/exports.py)", other, args.seed)
    print()
    print_prose(prose, remarks)
    return 0


def evaluate(tables: list[Table], no_presidio: bool) -> dict:
    """Column-level scores of Kaifang (and Presidio's built-ins) on one labelled set."""
    started = time.perf_counter()
    ours, cell_figures = kaifang_predictions(tables)
    seconds = {"kaifang": time.perf_counter() - started}
    results = {"kaifang": score(tables, ours)}
    decoys = {"kaifang": decoy_reports(tables, ours)}
    if not no_presidio:
        started = time.perf_counter()
        theirs = presidio_predictions(tables)
        seconds["presidio_builtin"] = time.perf_counter() - started
        results["presidio_builtin"] = score(tables, theirs)
        decoys["presidio_builtin"] = decoy_reports(tables, theirs)
    return {"tables": len(tables), "columns": sum(len(t.frame.columns) for t in tables),
            "cells": sum(t.frame.size for t in tables), "results": results, "decoy_columns_with_reports": decoys,
            "kaifang_cells": cell_figures, "seconds": seconds}


def print_set(title: str, figures: dict, seed: int) -> None:
    results, decoys, cell_figures = figures["results"], figures["decoy_columns_with_reports"], figures["kaifang_cells"]
    print(f"{title}: {figures['tables']} tables, {figures['columns']} columns, {figures['cells']} cells (seed {seed}).")
    print(f"Kaifang profile_frame: {figures['seconds']['kaifang']:.2f} s (every cell).")
    if "presidio_builtin" in figures["seconds"]:
        print(f"Presidio built-in recognizers: {figures['seconds']['presidio_builtin']:.2f} s "
              f"(up to {SAMPLE} cells per column).")
    print()
    entities = sorted({t for r in results.values() for t in r} - {"overall"}) + ["overall"]
    header = f"{'entity':25s}" + "".join(f" | {name:^32s}" for name in results)
    print(header)
    print(f"{'':25s}" + "".join(f" | {'P':>6s} {'R':>6s} {'F1':>6s} {'tp/fp/fn':>11s}" for _ in results))
    print("-" * len(header))
    for t in entities:
        line = f"{t:25s}"
        for r in results.values():
            row = r.get(t)
            if row is None:
                line += f" | {'-':>6s} {'-':>6s} {'-':>6s} {'':>11s}"
            else:
                counts = f"{row['tp']}/{row['fp']}/{row['fn']}"
                line += f" | {row['precision']:6.3f} {row['recall']:6.3f} {row['f1']:6.3f} {counts:>11s}"
        print(line)
    print()
    for name, count in decoys.items():
        print(f"{name}: decoy columns (checksum-failing numbers, look-alikes) with an identifier reported: {count}")
    print(f"kaifang cell level: {cell_figures['coverage']:.3%} of cells in identifier columns validated; "
          f"{cell_figures['decoy_cells']} of {cell_figures['decoy_total']} decoy/statistics cells validated "
          "as an identifier (evidence, below the presence threshold)")


if __name__ == "__main__":
    raise SystemExit(main())
