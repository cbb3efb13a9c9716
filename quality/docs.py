"""Finishing touches on the Data Docs site GX builds, so it can be published with a release.

GX's page header loads its logo from GX's own web-asset bucket with a timestamp in the query: every
view of a published report would call out to a third party. The logo is also in the site's own
static folder, so pages point there instead (the dark-mode logo too). GX also copies two tutorial
animations (3.4 MB) that no page of a site without "how to" buttons references; unreferenced images
are removed so a release does not carry them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# The header logo (an <img>) and its dark-mode variant (a CSS background) both come from this bucket.
_REMOTE_LOGO = re.compile(r"https://great-expectations-web-assets\.s3[.\w-]*\.amazonaws\.com/[^\"')\s]*")


def finish_site(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    logo = site / "static" / "images" / "logo-long.png"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        local = Path(os.path.relpath(logo, page.parent)).as_posix()
        fixed = _REMOTE_LOGO.sub(local, text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")
    _drop_unreferenced_images(site, pages)


def _drop_unreferenced_images(site: Path, pages: list[Path]) -> None:
    texts = [p.read_text(encoding="utf-8") for p in pages]
    texts += [p.read_text(encoding="utf-8") for p in (site / "static").rglob("*.css")]
    for image in (site / "static" / "images").glob("*"):
        if image.is_file() and not any(image.name in text for text in texts):
            image.unlink()
