"""The front-end files Data Docs pages load, taken from pinned PyPI packages and copied into each site.

GX's page templates load Bootstrap, jQuery, Popper, Font Awesome, bootstrap-table, bootstrap-datepicker,
a dark-mode theme and vega from public CDNs. Agencies run Kaifang without internet, and a published report
should not make its readers' browsers contact third parties, so each site carries its own copies of the
files its pages need, under `static/vendor/`. They come from XStatic packages (PyPI wheels that ship a
library's release files), pinned in requirements.lock and installed by `make setup`:

| Package | Files copied | In place of |
|---|---|---|
| XStatic-Bootstrap 4.5.3.x | `bootstrap.min.css`, `bootstrap.bundle.min.js` | Bootstrap 4.3.1, Popper 1.12 |
| XStatic-jQuery 3.7.1.x | `jquery.min.js` | jQuery 3.7.1 |
| XStatic-Font-Awesome 6.2.1.x | `fontawesome.min.css`, `solid.min.css`, `fa-solid-900.woff2` | Font Awesome 6.6 |

Popper comes in Bootstrap's bundle. Only the solid style is shipped (GX's pages use `fas` icons only),
and only its WOFF2 font: the TrueType fallback (400 kB, for browsers without WOFF2) is dropped from
`solid.min.css`, and so are source-map comments (the maps are not shipped). Nothing on PyPI ships
bootstrap-table, bootstrap-datepicker, bootstrap-dark or vega: `quality.docs` drops their tags (see there
for what that costs).
"""

from __future__ import annotations

import importlib
import re
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

VENDOR_DIR = "vendor"  # under the site's static/ folder

_SOURCE_MAP = re.compile(r"\n?/[/*]# sourceMappingURL=[^\n]*")
_TRUETYPE_FALLBACK = re.compile(r',url\([^)]*\.ttf\) format\("truetype"\)')


class MissingAssets(RuntimeError):
    """An XStatic package Data Docs need is not installed (install the project from requirements.lock)."""


@dataclass(frozen=True)
class Asset:
    """Files of one XStatic package, paths relative to its data folder (kept, so CSS `../webfonts/` works)."""

    name: str  # folder under static/vendor/
    module: str  # the XStatic module, e.g. xstatic.pkg.jquery
    distribution: str  # the PyPI name
    files: tuple[str, ...]

    def base_dir(self) -> Path:
        try:
            module = importlib.import_module(self.module)
        except ImportError:
            raise MissingAssets(
                f"{self.distribution} is not installed: Data Docs need it to render offline "
                "(pip install -r requirements.lock)"
            ) from None
        return Path(module.BASE_DIR)


JQUERY = Asset("jquery", "xstatic.pkg.jquery", "XStatic-jQuery", ("jquery.min.js",))
BOOTSTRAP = Asset(
    "bootstrap", "xstatic.pkg.bootstrap", "XStatic-Bootstrap", ("css/bootstrap.min.css", "js/bootstrap.bundle.min.js")
)
FONT_AWESOME = Asset(
    "font-awesome", "xstatic.pkg.font_awesome", "XStatic-Font-Awesome",
    ("css/fontawesome.min.css", "css/solid.min.css", "webfonts/fa-solid-900.woff2", "LICENSE.txt"),
)
ASSETS = (JQUERY, BOOTSTRAP, FONT_AWESOME)

# Each CDN file GX's templates load (matched on its URL) and the shipped files that replace it, in order.
# Popper is in Bootstrap's bundle; Font Awesome's all.min.css becomes the core CSS plus the solid style.
# A CDN tag that matches none of these is dropped.
REPLACEMENTS: tuple[tuple[re.Pattern[str], tuple[tuple[Asset, str], ...]], ...] = (
    (re.compile(r"/bootstrap/4\.[\d.]+/css/bootstrap(\.min)?\.css$"), ((BOOTSTRAP, "css/bootstrap.min.css"),)),
    (re.compile(r"/bootstrap/4\.[\d.]+/js/bootstrap(\.bundle)?(\.min)?\.js$"),
     ((BOOTSTRAP, "js/bootstrap.bundle.min.js"),)),
    (re.compile(r"/jquery-3\.[\d.]+(\.min)?\.js$"), ((JQUERY, "jquery.min.js"),)),
    (re.compile(r"/font-awesome/6\.[\d.]+/css/all(\.min)?\.css$"),
     ((FONT_AWESOME, "css/fontawesome.min.css"), (FONT_AWESOME, "css/solid.min.css"))),
)


def replacement(url: str) -> tuple[tuple[Asset, str], ...]:
    """The shipped files that stand in for a CDN URL; none when the page does without it."""
    for pattern, files in REPLACEMENTS:
        if pattern.search(url):
            return files
    return ()


def local_path(asset: Asset, file: str) -> str:
    """Where a file lives in a site, relative to the site's static/ folder."""
    return f"{VENDOR_DIR}/{asset.name}/{file}"


def copy_assets(static: Path) -> list[Path]:
    """Copy every asset file into `static/vendor/`; returns the files written."""
    written = []
    for asset in ASSETS:
        base = asset.base_dir()
        for file in asset.files:
            source, target = base / file, static / local_path(asset, file)
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.suffix in (".css", ".js"):
                text = source.read_text(encoding="utf-8")
                text = _TRUETYPE_FALLBACK.sub("", _SOURCE_MAP.sub("", text))
                target.write_text(text, encoding="utf-8")
            else:
                shutil.copyfile(source, target)
            written.append(target)
    return written


def versions() -> dict[str, str]:
    """The installed version of each package, e.g. {"XStatic-jQuery": "3.7.1.1"} (for reports and tests)."""
    return {asset.distribution: metadata.version(asset.distribution) for asset in ASSETS}
