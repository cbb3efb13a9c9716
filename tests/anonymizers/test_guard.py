"""The release guard: it judges the output, not the spec. Each failure a careless or hostile spec caused
on an earlier main is a test here, run through the real stages (extract file, detect, plan, desensitize,
privacy, guard) without Prefect."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipelines import stages
from pipelines.extract import write_raw
from pipelines.guarding import guard_rules, required_k, suppression_limit
from pipelines.plan import build_plan
from pipelines.samples import _Generator as SampleGenerator
from pipelines.samples import social_insurance_rows
from pipelines.spec import ReleaseSpec, load_policy, load_spec

ROOT = Path(__file__).resolve().parents[2]
POLICY, POLICY_SHA = load_policy(ROOT / "configs" / "policy.yaml")
SOCIAL = load_spec(ROOT / "configs" / "datasets" / "social-insurance.yaml")
KEY = b"guard-test-key-0123456789abcdef"


def spec_for(columns: dict, quasi: list[str], target: str = "conditional", **privacy) -> ReleaseSpec:
    return ReleaseSpec.model_validate({
        "id": "guard-test", "title": "t", "description": "d", "publisher": "p", "theme": "社保就业",
        "update_frequency": "monthly", "source": {"file": {"path": "x.csv"}},
        "open_class": {"declared": "not_open", "basis": ["personal_information"], "target": target,
                       "conditions": "仅限研究"},
        "columns": columns, "privacy": {"quasi_identifiers": quasi, "k": 5, **privacy},
    })


def verdict(frame: pd.DataFrame, spec: ReleaseSpec, tmp_path: Path, base: Path | None = None):
    files = stages.WorkFiles(tmp_path / "run")
    files.folder.mkdir(parents=True, exist_ok=True)
    rows, columns = write_raw(iter([frame.astype("string")]), files.raw)
    profile = stages.detect(files.raw, POLICY.min_share)
    plan = build_plan(spec, POLICY, profile, columns, base)
    target = spec.open_class.effective_target
    stages.desensitize(files, plan, KEY, date(2026, 12, 1), POLICY, target.value)
    k = required_k(spec, POLICY, target)
    outcome = stages.enforce_privacy(files, spec.privacy, k, suppression_limit(spec, POLICY), base or tmp_path)
    rules = guard_rules(spec, POLICY, POLICY_SHA, rows)
    result = stages.guard(files, profile, plan, rules, rows, outcome.suppressed, None)
    result.output = stages.load_output(files)
    return result


def checks(result) -> dict[str, bool]:
    return {c.name: c.passed for c in result.decision.checks}


def figure(result, name: str) -> str:
    return next(c.figure for c in result.decision.checks if c.name == name)


@pytest.fixture(scope="module")
def roster() -> pd.DataFrame:
    """600 people in few classes (sex × birth decade × district), so k-anonymity alone is easy."""
    rows = social_insurance_rows(600)
    frame = pd.DataFrame(rows)
    frame["出生日期"] = frame["出生日期"].str[:3] + "0-" + frame["出生日期"].str[:3] + "9"
    frame["区县"] = frame["区县"].where(frame["区县"].isin(["历下区", "市中区"]), "其他")
    return frame


BASE_COLUMNS = {
    "姓名": {"action": "drop"}, "身份证号": {"action": "pseudonymize"}, "手机号码": {"action": "drop"},
    "住址": {"action": "drop"}, "工作单位": {"action": "drop"}, "参保日期": {"action": "drop"},
    "备注": {"action": "drop"}, "参保险种": {"action": "drop"}, "缴费基数": {"action": "drop"},
}
QUASI = ["性别", "出生日期", "区县"]


def test_a_careful_spec_passes_every_check(roster, tmp_path):
    result = verdict(roster, spec_for(BASE_COLUMNS, QUASI), tmp_path)
    assert result.decision.published_class == "conditional", result.decision.reason
    assert {"never_raw", "rescan", "coverage", "uniqueness", "leak_search", "direct_identifiers"} <= set(checks(result))
    assert result.evaluation.passed and result.evaluation.standard == "GB/T 42460-2023"


def test_the_sample_spec_of_old_main_is_refused_for_its_raw_employer_and_enrolment_number(tmp_path):
    """参保人编号 raw and 工作单位 raw: the old decision said 'all 7 checks passed'."""
    frame = pd.read_csv(ROOT / "configs" / "samples" / "social_insurance.csv", dtype="string")
    old = SOCIAL.spec.model_copy(update={"columns": {
        **{k: v for k, v in SOCIAL.spec.columns.items() if k != "工作单位"},
        "参保人编号": SOCIAL.spec.columns["姓名"].model_copy(update={"action": "keep", "reason": "编号"}),
    }, "privacy": SOCIAL.spec.privacy.model_copy(update={"quasi_identifiers": QUASI, "metric": "entropy"})})
    result = verdict(frame, old, tmp_path, SOCIAL.folder)
    assert result.decision.published_class == "not_open"
    failed = {name for name, passed in checks(result).items() if not passed}
    assert {"coverage", "uniqueness"} <= failed
    assert "参保人编号 (record identifier)" in figure(result, "coverage")
    assert "工作单位 (quasi identifier)" in figure(result, "coverage")


def test_the_record_identifier_is_pseudonymized_by_default(roster, tmp_path):
    result = verdict(roster, spec_for(BASE_COLUMNS, QUASI), tmp_path)
    assert result.output["参保人编号"].str.fullmatch(r"P[0-9a-f]{16}").all()


def test_a_kept_column_of_resident_ids_is_refused_whatever_its_reason(roster, tmp_path):
    frame = roster.copy()
    ids = frame["身份证号"].where(frame.index % 5 < 2, "无")  # 40 % valid resident IDs
    frame["证件备查"] = ids
    columns = {**BASE_COLUMNS, "证件备查": {"action": "keep", "reason": "需要核对"}}
    result = verdict(frame, spec_for(columns, QUASI), tmp_path)
    assert checks(result)["never_raw"] is False
    assert re.search(r"证件备查: \d+ raw CN_RESIDENT_ID", figure(result, "never_raw"))
    assert result.decision.published_class == "not_open"


def test_a_mask_that_hides_only_the_check_digit_is_refused(roster, tmp_path):
    columns = {**BASE_COLUMNS, "身份证号": {"action": "mask", "keep_first": 17, "keep_last": 0}}
    result = verdict(roster, spec_for(columns, QUASI), tmp_path)
    assert checks(result)["mask_strength"] is False
    assert "身份证号 (CN_RESIDENT_ID): a masked value leaves 1 candidate originals" in figure(result, "mask_strength")


def test_the_usual_display_masks_are_strong_enough(roster, tmp_path):
    columns = {**BASE_COLUMNS, "身份证号": {"action": "mask"}, "出生日期": {"action": "drop"}}
    result = verdict(roster, spec_for(columns, ["性别", "区县"]), tmp_path)  # first 6 + last 4: birth date hidden
    assert checks(result)["mask_strength"] is True, figure(result, "mask_strength")


def test_a_mask_is_judged_with_what_the_same_record_publishes(roster, tmp_path):
    """The hidden birth date of a 6+4 mask is narrowed to a decade by the published birth band, and the
    sex digit by the published sex: 4,214 candidates become a few hundred."""
    columns = {**BASE_COLUMNS, "身份证号": {"action": "mask"}}
    result = verdict(roster, spec_for(columns, QUASI), tmp_path)
    assert checks(result)["mask_strength"] is False
    assert "candidate originals" in figure(result, "mask_strength")


def test_names_after_cue_words_in_prose_are_scrubbed_and_verified(roster, tmp_path):
    frame = roster.copy()
    gen = SampleGenerator(7)
    names = [gen.person_name() for _ in range(len(frame))]
    frame["备注"] = [f"代领人{n}，身份证号码待补。" if i % 5 == 0 else "材料齐全。" for i, n in enumerate(names)]
    columns = {k: v for k, v in BASE_COLUMNS.items() if k != "备注"}
    result = verdict(frame, spec_for(columns, QUASI), tmp_path)
    published = " ".join(result.output["备注"].dropna())
    assert not [n for n in names[::5] if n in published]
    assert checks(result)["rescan"] is True and checks(result)["leak_search"] is True


def test_a_name_the_scrubber_misses_is_caught_by_the_second_finder_and_the_leak_search(roster, tmp_path):
    """Published as is, prose with names after cue words: both independent checks refuse it."""
    frame = roster.copy()
    frame["经办情况"] = [f"代领人{n}，已核实。" for n in frame["姓名"]]
    columns = {**BASE_COLUMNS, "经办情况": {"action": "redact"}}
    assert checks(verdict(frame, spec_for(columns, QUASI), tmp_path))["leak_search"] is True
    columns = {**BASE_COLUMNS, "经办情况": {"action": "keep", "reason": "公开"}}
    result = verdict(frame, spec_for(columns, QUASI), tmp_path / "2")
    assert checks(result)["leak_search"] is False
    assert "经办情况" in figure(result, "leak_search") and "PERSON" in figure(result, "leak_search")


def test_an_identifier_copied_into_another_column_is_found_by_the_leak_search(roster, tmp_path):
    frame = roster.copy()
    frame["联系方式"] = frame["手机号码"].str.slice(0, 3) + "-" + frame["手机号码"].str.slice(3, 7) + " " + \
        frame["手机号码"].str.slice(7)
    columns = {**BASE_COLUMNS, "联系方式": {"action": "keep", "reason": "单位总机"}}
    result = verdict(frame, spec_for(columns, QUASI), tmp_path)
    assert checks(result)["leak_search"] is False
    assert re.search(r"联系方式: \d+ cells hold a PHONE_NUMBER of the input", figure(result, "leak_search"))


def test_a_waiver_with_a_reason_lets_a_quasi_identifier_through_coverage_and_is_recorded(roster, tmp_path):
    columns = {k: v for k, v in BASE_COLUMNS.items() if k != "参保险种"}
    spec = spec_for(columns, QUASI, waivers={"参保险种": "险种为公开的业务分类"})
    result = verdict(roster, spec, tmp_path)
    assert checks(result)["coverage"] is True
    assert [(w.column, w.reason) for w in result.decision.waivers] == [("参保险种", "险种为公开的业务分类")]


def test_uniqueness_is_measured_on_undeclared_columns_too(roster, tmp_path):
    columns = {k: v for k, v in BASE_COLUMNS.items() if k != "参保日期"}
    result = verdict(roster, spec_for(columns, QUASI, waivers={"参保日期": "x"}), tmp_path)
    assert checks(result)["uniqueness"] is False
    assert "参保日期" in figure(result, "uniqueness")


def test_the_gate_and_guard_use_the_class_k_not_the_spec_k(roster, tmp_path):
    spec = spec_for(BASE_COLUMNS, QUASI, target="unconditional")
    spec = spec.model_copy(update={"privacy": spec.privacy.model_copy(update={"k": 2})})
    rules = guard_rules(spec, POLICY, POLICY_SHA, 600)
    assert rules.required_k == POLICY.classes["unconditional"].k == 10


def test_a_failed_check_publishes_nothing_even_for_a_dataset_declared_open(roster, tmp_path):
    frame = roster[["性别", "身份证号"]].copy()
    spec = ReleaseSpec.model_validate({
        "id": "open-test", "title": "t", "description": "d", "publisher": "p", "theme": "x",
        "update_frequency": "monthly", "source": {"file": {"path": "x.csv"}},
        "open_class": {"declared": "unconditional"},
        "columns": {"身份证号": {"action": "keep", "reason": "careless"}},
    })
    result = verdict(frame, spec, tmp_path)
    assert result.decision.published_class == "not_open"
    assert checks(result)["never_raw"] is False


def test_figures_and_evaluation_never_quote_a_value(roster, tmp_path):
    columns = {**BASE_COLUMNS, "身份证号": {"action": "mask", "keep_first": 17, "keep_last": 0}}
    result = verdict(roster, spec_for(columns, QUASI), tmp_path)
    text = result.decision.model_dump_json() + result.evaluation.model_dump_json()
    for value in [*roster["身份证号"], *roster["姓名"], *roster["手机号码"]]:
        assert value not in text


def test_an_identifier_embedded_in_a_longer_code_is_found_by_the_leak_search(roster, tmp_path):
    frame = roster.copy()
    frame["业务编码"] = "SI-" + frame["身份证号"] + "-01"
    columns = {**BASE_COLUMNS, "业务编码": {"action": "keep", "reason": "业务编码"}}
    result = verdict(frame, spec_for(columns, QUASI), tmp_path)
    assert checks(result)["leak_search"] is False
    assert re.search(r"业务编码: \d+ cells hold a CN_RESIDENT_ID", figure(result, "leak_search"))


def test_a_dataset_declared_open_still_treats_the_names_of_the_people_in_it(roster, tmp_path):
    """No reclassification sought, but the records are about people: names kept raw are refused."""
    frame = roster[["姓名", "性别"]].copy()
    spec = ReleaseSpec.model_validate({
        "id": "open-names", "title": "t", "description": "d", "publisher": "p", "theme": "x",
        "update_frequency": "monthly", "source": {"file": {"path": "x.csv"}},
        "open_class": {"declared": "unconditional"},
        "columns": {"姓名": {"action": "keep", "reason": "公示名单"}},
        "privacy": {"quasi_identifiers": ["性别"]},
    })
    result = verdict(frame, spec, tmp_path)
    assert checks(result)["direct_identifiers"] is False
    assert result.decision.published_class == "not_open"


def test_the_spec_cannot_suppress_more_than_the_policy_allows():
    spec = spec_for(BASE_COLUMNS, QUASI, suppression_limit=0.99)
    assert suppression_limit(spec, POLICY) == POLICY.suppression_limit


def test_masked_names_and_phones_still_single_people_out(roster, tmp_path):
    """A rare surname (欧阳*) or the seven digits of 138****5678 are unique in the table."""
    columns = {**BASE_COLUMNS, "手机号码": {"action": "mask"}}
    result = verdict(roster, spec_for(columns, QUASI), tmp_path)
    assert checks(result)["uniqueness"] is False
    assert "手机号码" in figure(result, "uniqueness")


def test_digit_columns_that_are_almost_all_distinct_are_not_measures(roster, tmp_path):
    frame = roster.copy()
    frame["档案号"] = [f"{370100000000 + i * 7919}" for i in range(len(frame))]
    columns = {**BASE_COLUMNS, "档案号": {"action": "keep", "reason": "档案号"}}
    result = verdict(frame, spec_for(columns, QUASI, waivers={"档案号": "x"}), tmp_path)
    assert checks(result)["uniqueness"] is False


def test_a_timestamp_is_linkable_even_though_it_holds_a_space(roster, tmp_path):
    frame = roster.copy()
    frame["办理时间"] = [f"2019-10-{1 + i % 28:02d} 09:{i % 60:02d}:{(i * 7) % 60:02d}" for i in range(len(frame))]
    result = verdict(frame, spec_for(BASE_COLUMNS, QUASI), tmp_path)
    assert checks(result)["uniqueness"] is False


def test_ordinary_phrases_after_role_words_are_not_names_for_the_second_finder():
    from anonymizers.guard.names import names_in

    for phrase in ("配偶单位缴纳", "申请人单位已盖章", "本人于今日到场办理", "户主常住外地", "联系人方式已更新"):
        assert names_in(phrase) == [], phrase
    assert names_in("代领人 Wang Yulan，已核实。") == ["Wang Yulan"]


def test_a_column_name_holding_a_person_of_the_input_is_a_leak(roster, tmp_path, monkeypatch):
    """Extract refuses such headers first; the guard checks published names again, independently."""
    import pipelines.extract

    monkeypatch.setattr(pipelines.extract, "_check_header", lambda columns: None)
    frame = roster.copy()
    person = next(n for n in frame["姓名"] if len(n) == 3)
    frame[f"{person}组"] = "是"
    result = verdict(frame, spec_for(BASE_COLUMNS, QUASI), tmp_path)
    assert checks(result)["leak_search"] is False
    assert person not in figure(result, "leak_search")


def _pseudonyms_holding_phones(roster: pd.DataFrame, monkeypatch, shape: str) -> None:
    """Make each person's ID pseudonym carry their phone number, as one in a million keyed hashes does by chance."""
    import anonymizers.operators as operators

    phone_of = {operators.normalize(i): p for i, p in zip(roster["身份证号"], roster["手机号码"], strict=True)}
    real = operators.pseudonyms  # other pseudonymized columns stay as they are

    def pseudonyms(key: bytes, values: list[str]) -> list[str]:
        out = real(key, values)
        for i, value in enumerate(values):
            phone = phone_of.get(operators.normalize(value))
            if phone is not None:
                out[i] = "P" + (phone + "abcdef")[:16] if shape == "pseudonym" else "ID-" + phone
        return out

    monkeypatch.setattr(operators, "pseudonyms", pseudonyms)


def test_a_pseudonym_whose_digits_happen_to_equal_an_input_phone_is_no_leak(roster, tmp_path, monkeypatch):
    """At a million rows some keyed pseudonyms (P + 16 hex digits) hold an 11-digit run equal to an input
    phone number by chance; counting those refused every large release with pseudonymized identifiers."""
    _pseudonyms_holding_phones(roster, monkeypatch, "pseudonym")
    result = verdict(roster, spec_for(BASE_COLUMNS, QUASI), tmp_path)
    assert result.output["身份证号"].str.fullmatch(r"P1[3-9]\d{9}abcde").all()
    assert checks(result)["leak_search"] is True


def test_a_pseudonymized_column_that_does_not_hold_pseudonyms_is_still_searched(roster, tmp_path, monkeypatch):
    _pseudonyms_holding_phones(roster, monkeypatch, "other")
    result = verdict(roster, spec_for(BASE_COLUMNS, QUASI), tmp_path)
    assert checks(result)["leak_search"] is False
    assert re.search(r"身份证号: \d+ cells hold a PHONE_NUMBER of the input", figure(result, "leak_search"))
