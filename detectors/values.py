"""Value shapes that are not identifiers but matter to the profiler.

Already-masked identifiers (``138****5678``, ``370113********7973``, ``张*``) are counted apart
from raw matches so the verify stage can tell a desensitized column from a leaking one.
Quasi-identifier values (男/女, 汉族, 本科, 已婚, 历下区) let a column be recognised as a
quasi-identifier even under an uninformative header such as ``col3``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detectors.names import HAN
from detectors.text import re2

MASK = r"[*]"
MASKED = re2("|".join(
    [
        rf"[^*]{{0,40}}{MASK}{{2,}}[^*]{{0,20}}(?:{MASK}{{2,}}[^*]{{0,20}})?",  # 138****5678, addresses
        rf"[{HAN}]{{1,3}}{MASK}{{1,3}}",  # 张*, 欧阳**
        rf"{MASK}{{1,2}}[{HAN}]{{1,2}}",  # *三
        rf"[{HAN}]{MASK}{{1,2}}[{HAN}]",  # 张*三
        r"\d{3,6}[Xx×]{4,}\d{2,4}[0-9Xx]?",  # 138XXXX5678
    ]
))

# Every MASKED form contains one of these; the profiler searches them literally first.
MASK_MARKS = ("*", "XXXX", "xxxx", "××××")

NUMERIC = re2(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?")
DATE_LIKE = re2(r"(?:19|20)\d{2}(?:[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?)?|\d{4})(?:\s.*)?")

_QUASI_VALUES: dict[str, str] = {
    "gender": r"男|女|男性|女性|未知|[MFmf]|[Mm]ale|[Ff]emale",
    "ethnicity": rf"[{HAN}]{{1,5}}族|少数民族|外国血统",
    "education": "博士|硕士|研究生|本科|大学本科|大专|专科|大学专科|中专|中技|技校|高中|职高|初中|小学|文盲|半文盲|"
                 "博士研究生|硕士研究生|学士|不详",
    "marital": "已婚|未婚|离异|离婚|丧偶|再婚|初婚|复婚|有配偶|无配偶",
    "district": rf"[{HAN}]{{1,8}}(?:区|县|旗|自治县|县级市|新区|街道|镇|乡)",
    "politics": "中共党员|中共预备党员|共青团员|团员|群众|民主党派|无党派人士|党员",
}

QUASI_VALUES = {kind: re2(pattern) for kind, pattern in _QUASI_VALUES.items()}

# Enterprise names: the lexicon lists suffixes; this is the fallback when it lists none.
COMPANY_SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司", "集团", "公司", "厂", "合作社")

# Labels Kaifang's own operators write (anonymizers/operators.py, surrogates.py): keyed pseudonyms
# and tokens (P / S + 16 hex), redaction labels (<PHONE_NUMBER>), bands and top/bottom codes
# (40000-45000, 1e+06-2e+06, <=0, >=90). The rescan of an output must not read them as the
# identifiers they replaced: a band label 40000-45000 loses its hyphen and looks like a 400 number.
GENERATED = re2("|".join(
    [
        r"[PS][0-9a-f]{16}",
        r"<[A-Z][A-Z0-9_]{1,40}>",
        r"[<>]=-?\d+(?:\.\d+)?(?:e[+-]?\d+)?",
    ]
))
_NUMBER = r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:e[+-]?\d+)?"
BAND = re2(rf"^({_NUMBER})-({_NUMBER})$")
GENERATED_OR_BAND = re2(f"{GENERATED}|{_NUMBER}-{_NUMBER}")


def generated_labels(values: pd.Series) -> np.ndarray:
    """Which cells are labels written by an operator (see GENERATED and BAND).

    A band is two numbers, the first below the second and of about the same size (at most one
    digit more), the shape ``_band_labels`` writes; a phone number written 0531-8612345 or
    138-12345678 has a leading zero or parts of very different lengths and stays a phone number.
    """
    out = values.str.fullmatch(GENERATED_OR_BAND).to_numpy(dtype=bool, na_value=False).copy()
    maybe = np.flatnonzero(out)  # the few labels, not the column, are searched for a dash
    maybe = maybe[values.iloc[maybe].str.contains("-", regex=False).to_numpy(dtype=bool, na_value=False)]
    maybe = maybe[~values.iloc[maybe].str.fullmatch(GENERATED).to_numpy(dtype=bool, na_value=False)]
    if len(maybe):
        parts = values.iloc[maybe].str.extract(BAND)
        low = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        high = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        digits = [parts[k].str.lstrip("-").str.len().to_numpy(dtype=float, na_value=0) for k in (0, 1)]
        size = np.where(low < 0, 0, digits[1] - digits[0])  # -10-0: a band across zero
        with np.errstate(invalid="ignore"):
            band = (low < high) & (size >= 0) & (size <= 1)
        out[maybe] = band
    return out


# What export tools wrap around a value: Excel's text marker (a leading apostrophe) or formula
# (="370102…"), a label the system put before it (TEL:, 身份证：, sha256:), and a landline's
# extension (0531-86123456-802, …转802). The rules see the value inside.
_HAN_LABEL = rf"[{HAN}]{{1,8}}"
_ASCII_LABEL = r"[0-9A-Fa-f]{0,6}[G-Zg-z_][A-Za-z0-9_.]{0,8}"  # a non-hex letter: not an IPv6 group
EXPORT_WRAPPERS: tuple[tuple[str, str], ...] = tuple(
    (re2(pattern), replacement)
    for pattern, replacement in (
        (r'^="(.*)"$', r"\1"),
        (r"^['`\t]+", ""),
        (rf"^(?:{_ASCII_LABEL}|{_HAN_LABEL})\s*[:：]\s*", ""),
        # Not a bare "x" or "#": 9312010182974233X4 is a credit code, not a number and extension 4.
        (r"^(\+?[\d\s\-()（）]{6,20}\d)\s*(?:转|分机|ext\.?|EXT\.?)\s*\d{1,5}$", r"\1"),
        (r"^(\(?0\d{2,3}\)?[\s\-]?[2-9]\d{6,7})-\d{1,5}$", r"\1"),
    )
)
WRAPPER_HINT = re2(
    r"^(?:['`\t=]|[^:：]{1,12}[:：])"
    r"|(?:转|分机|ext|EXT)\.?\s*\d{1,5}$"
    r"|^\(?0\d{2,3}\)?[\s\-]?\d{7,8}-\d"
)


def unwrapped(values: pd.Series) -> pd.Series:
    """The values with export wrappers removed (see EXPORT_WRAPPERS); only wrapped cells are touched."""
    wrapped = values.str.contains(WRAPPER_HINT, regex=True).to_numpy(dtype=bool, na_value=False)
    if not wrapped.any():
        return values
    out = values.copy()
    inner = values[wrapped]
    for pattern, replacement in EXPORT_WRAPPERS:
        inner = inner.str.replace(pattern, replacement, regex=True)
    out[wrapped] = inner
    return out
