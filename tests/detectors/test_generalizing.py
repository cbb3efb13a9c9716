"""Issue 12: mixed columns, more document types, hashes, coordinates, romanized names, generated labels.

Each test is one cause from the issue, not one case: a value set built the way the cause arises.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from stdnum import imei as stdnum_imei
from stdnum import luhn as stdnum_luhn

from detectors import profile_frame, scan_text, validate, vocabulary
from detectors.checks import foreign_permanent_ids, hex_digests, imeis, resident_ids, uscc_check_chars, vins
from detectors.rules import RULES
from detectors.values import generated_labels
from tests.detectors.conftest import USCC_ALPHABET, USCC_WEIGHTS, make_mobile, make_ric, ric_check

POLICY = Path(__file__).resolve().parents[2] / "configs" / "policy.yaml"
VIN_VALUES = dict(zip("0123456789", range(10), strict=True)) | dict(
    zip("ABCDEFGHJKLMNPRSTUVWXYZ", [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9], strict=True)
)
VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def make_vin(rng: random.Random) -> str:
    body = [rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(17)]
    total = sum(VIN_VALUES[c] * w for c, w in zip(body, VIN_WEIGHTS, strict=True)) % 11
    body[8] = "X" if total == 10 else str(total)
    return "".join(body)


def make_imei(rng: random.Random) -> str:
    body = "86" + "".join(rng.choice("0123456789") for _ in range(12))
    return body + stdnum_luhn.calc_check_digit(body)


def make_foreign_pr(rng: random.Random) -> str:
    body = f"937{rng.randint(100, 999)}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += f"{rng.randint(0, 999):03d}"
    return body + ric_check(body)


def make_residence_permit(rng: random.Random) -> str:
    body = f"{rng.choice(['810000', '820000', '830000'])}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}"
    body += f"{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + ric_check(body)


def profile_of(values: list[str], header: str = "c"):
    return profile_frame(pd.DataFrame({header: values})).column(header)


# --- one vocabulary -----------------------------------------------------------------------------

def test_every_rule_reports_an_entity_of_the_vocabulary():
    for rule in RULES:
        assert rule.entity in vocabulary.ENTITIES, rule.name


def test_every_detectable_entity_has_a_policy_default_and_the_lists_follow_the_vocabulary():
    policy = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    for rule in RULES:
        assert rule.entity in policy["entity_defaults"], rule.entity
    for name in vocabulary.never_raw():
        if name in {r.entity for r in RULES}:
            assert name in policy["never_publish_raw"], name
    for name in ("HASHED_IDENTIFIER", "IMEI", "VEHICLE_VIN", "CN_FOREIGNER_PR_ID", "CN_HK_MACAU_TRAVEL_PERMIT"):
        assert name in policy["direct_identifiers"], name
    assert "GEO_COORDINATE" not in policy["direct_identifiers"]  # a quasi-identifier: generalized


# --- mixed columns ----------------------------------------------------------------------------

def test_a_column_of_passports_and_permits_reports_both(rng):
    passports = [f"E{rng.randint(10**7, 10**8 - 1)}" for _ in range(45)]
    permits = [f"H{rng.randint(10**7, 10**8 - 1)}" for _ in range(45)]
    column = profile_of(passports + permits + ["不详"] * 10, "证件号码")
    assert {e.type for e in column.entities} == {"CN_PASSPORT", "CN_HMT_PERMIT"}


def test_a_minority_type_in_an_identifying_column_is_reported(rng):
    emails = [f"user{i}@example.com" for i in range(70)]
    phones = [make_mobile(rng) for _ in range(30)]
    column = profile_of(emails + phones, "账号")
    assert column.primary == "EMAIL_ADDRESS"
    assert "PHONE_NUMBER" in {e.type for e in column.entities}


def test_a_few_stray_identifiers_do_not_make_a_column_identifying(rng):
    values = [f"备注{i}" for i in range(95)] + [make_mobile(rng) for _ in range(5)]
    assert profile_of(values).entities == ()


# --- new document types and numbers ------------------------------------------------------------

@pytest.mark.parametrize(
    ("entity", "make", "header"),
    [
        ("CN_HK_MACAU_TRAVEL_PERMIT", lambda r: f"C{r.randint(10**7, 10**8 - 1)}", "往来港澳通行证号"),
        ("CN_HK_MACAU_TRAVEL_PERMIT", lambda r: f"C{r.choice('ABDEFG')}{r.randint(10**6, 10**7 - 1)}", "col"),
        ("CN_TW_TRAVEL_PERMIT", lambda r: f"L{r.randint(10**7, 10**8 - 1)}", "赴台证件"),
        ("CN_FOREIGNER_PR_ID", make_foreign_pr, "证件"),
        ("CN_HMT_RESIDENCE_PERMIT", make_residence_permit, "zjhm"),
        ("IMEI", make_imei, "设备"),
        ("VEHICLE_VIN", make_vin, "col"),
        ("PHONE_NUMBER", lambda r: f"0531-{r.randint(2 * 10**7, 9 * 10**7)}", "gddh"),
    ],
)
def test_document_types_and_numbers_are_found_by_their_values(rng, entity, make, header):
    assert profile_of([make(rng) for _ in range(60)], header).primary == entity


def test_social_security_card_numbers_need_the_header(rng):
    cards = [f"A{rng.randint(10**7, 10**8 - 1)}" for _ in range(60)]
    assert profile_of(cards, "社保卡号").primary == "CN_SOCIAL_SECURITY_CARD"
    assert profile_of(cards, "编号").primary is None
    # The social security number on the card is the resident ID.
    assert profile_of([make_ric(rng) for _ in range(60)], "社会保障号码").primary == "CN_RESIDENT_ID"


def test_checks_fail_on_a_changed_character(rng):
    for make, check in ((make_vin, vins), (make_imei, imeis), (make_foreign_pr, foreign_permanent_ids),
                        (make_residence_permit, resident_ids)):
        good = make(rng)
        position = 3 if check is not vins else 8
        bad = good[:position] + str((int(good[position]) + 1) % 10 if good[position].isdigit() else 0)
        bad += good[position + 1:]
        assert check([good, bad]).tolist() == [True, False]


@given(st.text("0123456789", min_size=15, max_size=15))
def test_imei_check_agrees_with_stdnum(number):
    assert bool(imeis([number])[0]) == (stdnum_imei.is_valid(number) and len(set(number)) >= 4)


def test_header_named_uscc_columns_need_only_the_check_character(rng):
    def code() -> str:
        body = "".join(rng.choice(USCC_ALPHABET) for _ in range(17))
        total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
        return body + USCC_ALPHABET[(31 - total % 31) % 31]

    codes = [code() for _ in range(200)]
    assert uscc_check_chars(codes).all()
    assert profile_of(codes, "统一社会信用代码").primary == "CN_USCC"
    assert profile_of(codes, "编码").primary is None  # without the header the strict checks stay


# --- hashes, coordinates, romanized names ------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "sha512"])
def test_unsalted_digests_of_identifiers_are_hashed_identifiers(rng, algorithm):
    digests = [hashlib.new(algorithm, make_ric(rng).encode()).hexdigest() for _ in range(100)]
    column = profile_of(digests, "col")
    assert [e.type for e in column.entities] == ["HASHED_IDENTIFIER"]
    assert profile_of([d.upper() for d in digests], "sfzh_sha").primary == "HASHED_IDENTIFIER"


def test_digests_are_never_read_as_phone_numbers():
    digest = "13812345678" + "a" * 53
    assert hex_digests([digest.upper()]).all()
    assert not [s for s in scan_text(f"摘要：{digest}，已核验") if s.type == "PHONE_NUMBER"]
    assert not validate("PHONE_NUMBER", digest[:12])


def test_a_column_of_uuids_written_without_dashes_is_not_a_digest_column():
    import uuid

    keys = [uuid.UUID(int=random.Random(i).getrandbits(128), version=4).hex for i in range(200)]
    assert profile_of(keys, "col").primary is None
    # while a digest that happens to be UUID-shaped (one in eight) still counts as a digest
    assert hex_digests(["550E8400E29B41D4A716446655440000"]).all()


def test_coordinates_in_pairs_and_in_separate_columns_are_quasi_identifiers(rng):
    lat = [f"{rng.uniform(36.5, 36.8):.5f}" for _ in range(80)]
    lon = [f"{rng.uniform(116.9, 117.3):.5f}" for _ in range(80)]
    frame = pd.DataFrame({"位置": [f"{a},{b}" for a, b in zip(lat, lon, strict=True)], "wd": lat, "jd": lon,
                          "dms": [f"36°39'{i % 60}\"N 117°7'{i % 60}\"E" for i in range(80)]})
    profile = profile_frame(frame)
    for name in ("位置", "wd", "jd", "dms"):
        column = profile.column(name)
        assert column.primary == "GEO_COORDINATE", name
        assert column.quasi_identifier, name


def test_amounts_are_not_coordinates_without_a_header(rng):
    amounts = [f"{rng.uniform(10, 170):.3f}" for _ in range(80)]
    assert profile_of(amounts, "金额").primary is None


SURNAMES = ["Zhao", "Qian", "Sun", "Li", "Zhou", "Wu", "Zheng", "Wang", "Ouyang", "Zhuge", "Lv", "Xu"]
GIVEN = [("Hao", "ran"), ("Jia", "yi"), ("Wei", ""), ("Ming", "yu"), ("Xiao", "dong"), ("Fang", ""), ("Zi", "han")]


@pytest.mark.parametrize("style", ["SURNAME Given", "Surname Gi-ven", "Surname Gi Ven", "Given Surname"])
def test_romanized_chinese_names_are_persons(style):
    names = []
    for surname in SURNAMES:
        for first, second in GIVEN:
            given = {"Surname Gi-ven": f"{first}-{second}" if second else first,
                     "Surname Gi Ven": f"{first} {second.title()}".strip()}.get(style, first + second)
            names.append({"SURNAME Given": f"{surname.upper()} {given}",
                          "Given Surname": f"{given} {surname}"}.get(style, f"{surname} {given}"))
    assert profile_of(names, "col").primary == "PERSON"


def test_english_and_place_words_are_not_romanized_names():
    assert profile_of(["Hong Kong", "Jinan Hotel", "John Smith", "Beijing Road", "Data Center"] * 20,
                      "col").primary is None


# --- generated labels and boundaries -----------------------------------------------------------

def test_operator_labels_are_never_identifiers():
    labels = ["40000-45000", "1e+06-2e+06", "<=0", "P0123456789abcdef", "S0123456789abcdef", "<PHONE_NUMBER>",
              "4000-4500", "-10-0", ">=90"]
    assert generated_labels(pd.Series(labels, dtype="str")).all()
    column = profile_of(labels * 30, "band")
    assert column.evidence == () and column.masked == len(labels) * 30


def test_phone_numbers_with_hyphens_are_not_bands(rng):
    phones = ["0531-86123456", "138-1234-5678", "400-123-4567", "138-12345678"]
    assert not generated_labels(pd.Series(phones, dtype="str")).any()


def test_spans_do_not_start_or_end_inside_an_alphanumeric_run():
    for text in ("编号AB13812345678C", "代码13812345678ab", "ref x6222021234567890123z"):
        assert not [s for s in scan_text(text) if s.type in ("PHONE_NUMBER", "CN_BANK_CARD")], text


# --- export wrappers, coordinate forms, properties ---------------------------------------------

def test_values_inside_export_wrappers_are_found(rng):
    ids = [make_ric(rng) for _ in range(60)]
    wrapped = [("'" + v) if i % 3 == 0 else (f'="{v}"' if i % 3 == 1 else f"身份证：{v}") for i, v in enumerate(ids)]
    assert profile_of(wrapped, "c").primary == "CN_RESIDENT_ID"
    phones = [f"TEL:{make_mobile(rng)}" for _ in range(30)] + [f"0531-8612{i:04d}-80{i % 10}" for i in range(30)]
    assert profile_of(phones, "c").entities[0].matches == 60


def test_unwrapping_leaves_plates_and_ipv6_alone():
    from detectors.values import unwrapped

    values = pd.Series(["鲁AX1234", "fe80::1", "2001:db8::1", "E1234X567", "9312010182974233X4"], dtype="str")
    assert unwrapped(values).tolist() == values.tolist()


@pytest.mark.parametrize("written", ["36.65123,117.12345", "117.12345,36.65123", "POINT(117.12345 36.65123)",
                                     "36.65123 117.12345", "(36.65123, 117.12345)", "N36.65123,E117.12345",
                                     "36°39′12″N, 117°7′12″E"])
def test_coordinate_forms(written):
    assert validate("GEO_COORDINATE", written)


@pytest.mark.parametrize("written", ["1.5,2.5", "123.456,234.567", "2024.03,12.001", "36.6,117.1"])
def test_coarse_or_out_of_range_pairs_are_not_coordinates(written):
    assert not validate("GEO_COORDINATE", written)


@given(st.text("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=17, max_size=17))
def test_vin_check_agrees_with_the_iso_3779_definition(vin):
    total = sum(VIN_VALUES[c] * w for c, w in zip(vin, VIN_WEIGHTS, strict=True)) % 11
    expected = vin[8] == ("X" if total == 10 else str(total)) and any(c.isalpha() for c in vin)
    assert bool(vins([vin])[0]) == expected


@given(st.text(max_size=60))
def test_new_validators_never_raise(text):
    for entity in ("GEO_COORDINATE", "HASHED_IDENTIFIER", "VEHICLE_VIN", "IMEI", "CN_FOREIGNER_PR_ID",
                   "CN_HK_MACAU_TRAVEL_PERMIT", "CN_TW_TRAVEL_PERMIT", "CN_HMT_RESIDENCE_PERMIT", "PERSON"):
        assert validate(entity, text) in (True, False)
    assert len(generated_labels(pd.Series([text], dtype="str"))) == 1


@given(st.text("0123456789", min_size=8, max_size=8), st.text(USCC_ALPHABET, min_size=10, max_size=10))
def test_uscc_check_character_agrees_with_stdnum(head, tail):
    from stdnum.cn import uscc as stdnum_uscc

    code = head + tail
    assert bool(uscc_check_chars([code])[0]) == stdnum_uscc.is_valid(code)


def test_a_handful_of_repeated_digests_is_not_a_hashed_identifier():
    versions = [hashlib.sha1(f"release {i % 3}".encode()).hexdigest() for i in range(200)]
    assert profile_of(versions, "col").primary is None


def test_latin_names_count_under_a_name_header_only(rng):
    first = ["John", "Maria", "Peter", "Anna", "David", "Sophie", "Ahmed", "Olga", "Carlos", "Lucy"]
    last = ["Smith", "Lopez", "Muller", "Rossi", "Khan", "Ivanova", "Silva", "Brown", "Dubois", "Novak"]
    names = [f"{rng.choice(first)} {rng.choice(last)}" for _ in range(100)]
    assert profile_of(names, "联系人").primary == "PERSON"
    assert profile_of(names, "col").primary is None


def test_card_numbers_failing_luhn_count_under_a_card_header(rng):
    from tests.detectors.conftest import luhn_complete

    cards = [luhn_complete("622202" + "".join(rng.choice("0123456789") for _ in range(12))) for _ in range(60)]
    failing = [c[:-1] + str((int(c[-1]) + 1) % 10) for c in cards]
    assert profile_of(failing, "银行卡号").primary == "CN_BANK_CARD"
    assert profile_of(failing, "col").primary is None


def test_short_ascii_hints_glued_to_han_words_count():
    from detectors.headers import entity_hints

    assert entity_hints("设备IMEI") == {"IMEI"}
    assert entity_hints("联系人xm") == {"PERSON"}


def test_the_policy_defaults_for_new_entities_load_and_run():
    from anonymizers.operators import OperatorParams, apply_operator
    from pipelines.spec import load_policy

    policy, _ = load_policy(POLICY)
    default = policy.entity_defaults["GEO_COORDINATE"]
    params = OperatorParams(to=default.to, digits=default.digits)
    out = apply_operator(default.action, pd.Series(["36.65123,117.12345", "117.12345", None], dtype="string"),
                         params)
    assert out.tolist()[:2] == ["36.65,117.12", "117.12"] and out.isna().tolist()[2]
    assert not validate("GEO_COORDINATE", out[0])  # rounded to about 1 km: no longer a building
    assert policy.entity_defaults["HASHED_IDENTIFIER"].action == "pseudonymize"
    assert "HASHED_IDENTIFIER" in policy.never_publish_raw


def test_a_few_stray_values_of_another_type_are_not_reported(rng):
    values = [make_ric(rng) for _ in range(95)] + [make_mobile(rng) for _ in range(5)]
    assert [e.type for e in profile_of(values, "身份证号").entities] == ["CN_RESIDENT_ID"]


def test_header_checks_accept_everything_the_strict_checks_accept(rng):
    legacy = [make_ric(rng)[:6] + make_ric(rng)[8:17] for _ in range(200)]
    legacy = [v for v in legacy if resident_ids([v])[0]]
    assert profile_of(legacy, "身份证号").primary == "CN_RESIDENT_ID"
    from tests.detectors.conftest import luhn_complete, make_uscc

    samples = {
        "CN_RESIDENT_ID": [make_ric(rng) for _ in range(50)] + legacy[:20],
        "CN_USCC": [make_uscc(rng) for _ in range(50)],
        "CN_BANK_CARD": [luhn_complete("622202" + str(rng.randint(10**11, 10**12 - 1))) for _ in range(50)],
    }
    for rule in RULES:
        if rule.column_check is not None and rule.entity in samples:
            values = samples[rule.entity]
            strict = rule.check(values)
            assert strict.all(), rule.name
            assert rule.column_check(values)[strict].all(), rule.name


@given(st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), min_size=1, max_size=30),
       st.sampled_from([1, 5, 10, 100, 5000, 100000]))
def test_what_the_band_and_aggregate_operators_write_is_never_evidence(numbers, width):
    from anonymizers.operators import OperatorParams, apply_operator

    values = pd.Series([f"{x:.2f}" for x in numbers], dtype="string")
    bands = apply_operator("generalize", values, OperatorParams(to="band", width=width))
    magnitudes = apply_operator("aggregate", values, OperatorParams())
    for written in (bands, magnitudes):
        column = profile_frame(pd.DataFrame({"c": written.astype(object)})).column("c")
        assert column.evidence == ()
