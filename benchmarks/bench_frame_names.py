"""Every name the social-insurance generator can write, in its remark frame: which does the scrubber miss?

Run from the repository root:

    .venv/bin/python benchmarks/bench_frame_names.py

The bench tables of bench_release.py draw names from Faker's zh_CN surnames and given names, the
compound surnames and the dotted minority names of ``pipelines.samples``, and write about 7 % of the
remarks as ``委托<name>代为办理，代办人身份证号<id>。``. A 1 M-row table holds most of those names in its
remarks and a 10 M-row table nearly all, so a name the scanner misses in that frame is a leak that only
shows at scale (and a refusal when the guard's second finder reads it). This enumerates them all once:
each name in the frame goes through the batch scanner the scrubber uses (``detectors.scan_texts``) and,
when no PERSON span covers it, through the guard's second finder (``anonymizers.guard.names``), which
decides whether the release would be refused for it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FRAME = "委托{}代为办理，代办人身份证号370114199508135589。"
BATCH = 5000


def generator_names() -> list[str]:
    from faker.providers.person.zh_CN import Provider

    from pipelines.samples import COMPOUND_SURNAMES, MINORITY_NAMES

    surnames = [*Provider.last_names, *COMPOUND_SURNAMES]
    given = sorted(set(Provider.first_names))
    return sorted({s + g for s in surnames for g in given} | set(MINORITY_NAMES))


def missed(names: list[str]) -> list[str]:
    """The names no PERSON span of the scrubber's scanner covers in the frame."""
    from detectors import scan_texts

    start = FRAME.index("{}")
    out = []
    for first in range(0, len(names), BATCH):
        batch = names[first : first + BATCH]
        found = scan_texts([FRAME.format(n) for n in batch])
        for name, spans in zip(batch, found, strict=True):
            if not any(s.type == "PERSON" and s.start <= start and s.end >= start + len(name) for s in spans):
                out.append(name)
    return out


def main() -> None:
    from anonymizers.guard.names import names_in

    names = generator_names()
    cpu, wall = time.process_time(), time.perf_counter()
    lost = missed(names)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    read = [n for n in lost if names_in(FRAME.format(n))]
    print(f"{len(names):,} names in the frame, scanned in {cpu:.1f} CPU-s ({wall:.1f} s wall, "
          f"{cpu / len(names) * 1e3:.2f} CPU-ms per text)")
    print(f"missed by the scrubber's scanner: {len(lost)} ({len(lost) / len(names):.3%}): {' '.join(lost)}")
    print(f"…of which the guard's second finder reads (a refused release): {len(read)}: {' '.join(read)}")


if __name__ == "__main__":
    main()
