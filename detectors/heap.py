"""Models that live as long as the process, kept out of the cyclic garbage collector's way.

A full collection walks every tracked object of the process. Once the span analyzer and jieba's
dictionaries are loaded, those are hundreds of thousands of objects that never become garbage,
and a million-row release ran about fifty full collections: 10 CPU-s, a tenth of its cost, spent
walking the same models again. :func:`settle` moves what is alive at that moment to the
collector's permanent generation (``gc.freeze``): reference counting still frees those objects,
only cycles among them would wait for ``gc.unfreeze``.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Freeze the objects alive now (call right after loading a model that stays for the process)."""
    gc.freeze()
