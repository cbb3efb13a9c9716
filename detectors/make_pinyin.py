"""Regenerate ``detectors/pinyin.txt`` from pypinyin.

Run by hand after editing ``surnames.txt`` (``pip install pypinyin`` first); pypinyin is not a
runtime dependency, the generated table is committed.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main() -> None:
    from pypinyin import Style, pinyin
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style import convert

    root = ROOT
    syllables = set()
    for readings in pinyin_dict.values():
        for r in readings.split(","):
            plain = convert(r, Style.NORMAL, strict=False)
            plain = plain.replace("ü", "v")
            if re.fullmatch("[a-z]+", plain) and plain not in {"hm", "hng", "m", "n", "ng", "ńg", "r", "ê"}:
                syllables.add(plain)
    # ü is written v, u or yu in romanized names (Lü -> Lv, Lu, Lyu)
    for s in list(syllables):
        if "v" in s:
            syllables.add(s.replace("v", "yu"))
    text = (root / "surnames.txt").read_text(encoding="utf-8")
    words = [w for line in text.splitlines() for w in line.split("#", 1)[0].split()]
    romans = set()
    for w in words:
        readings = pinyin(w, style=Style.NORMAL, heteronym=True)
        if len(w) == 1:
            for r in readings[0]:
                romans.add(r.replace("ü", "v"))
        else:
            romans.add("".join(r[0] for r in readings).replace("ü", "v"))
    for s in list(romans):
        if "v" in s:
            romans.update({s.replace("v", "u"), s.replace("v", "yu")})
    romans = {r for r in romans if re.fullmatch("[a-z]+", r)}
    out = ["# Toneless Hanyu Pinyin syllables and the romanized surnames of surnames.txt, for romanized",
           "# personal names (ZHAO Haoran, Ouyang Xiaodong). Generated with pypinyin 0.55 from its",
           "# character readings and surnames.txt (all readings of each surname character); ü is written v, u or yu.",
           "[syllables]"]
    out += [" ".join(sorted(syllables)[i:i + 20]) for i in range(0, len(syllables), 20)]
    out.append("[surnames]")
    rs = sorted(romans)
    out += [" ".join(rs[i:i + 20]) for i in range(0, len(rs), 20)]
    (root / "pinyin.txt").write_text("\n".join(out) + "\n", encoding="utf-8")
    print(len(syllables), len(romans))


if __name__ == "__main__":
    main()
