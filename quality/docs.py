"""Finishing touches on the Data Docs site GX builds, so it can be published with a release and read offline.

A finished site makes no request to any other host: agencies run Kaifang without internet, and a
government portal should not make its readers' browsers contact third parties.

- Page headers load GX's logo from GX's web-asset bucket (with a timestamp in the query): they point at
  the copy in the site's own static folder instead.
- GX's templates load CSS and JavaScript from public CDNs. Bootstrap (with Popper), jQuery and Font
  Awesome are copied into `static/vendor/` from pinned PyPI packages (`quality.assets`) and every page
  links them by a path relative to itself (pages sit at different depths). The tags of what no PyPI
  package ships are dropped: bootstrap-table, its filter control and bootstrap-datepicker, the dark-mode
  theme and vega.
- Without bootstrap-table, the index page's tables (filled in by JavaScript from data in the page) would
  stay empty, so their rows are written into the HTML, sorted as GX sorts them, each row linking to its
  page. What is lost: the index's search box, column filters, sorting by clicking a header and paging.
  Validation pages keep their tables (they are plain HTML) and the "Failed Only" filter (jQuery).
- Charts: no Kaifang result carries value counts (`quality.run.scrub`), so no page draws a vega chart; a
  chart that GX did render would be left blank.
- Dark mode: the page's dark-mode rules went with the dark theme they complete; pages render light.
- GX's newsletter footer and links to greatexpectations.io are replaced by a plain-text credit.
- Static files no page uses (tutorial animations, GX's web fonts and unused style sheets) are removed,
  and links into the static folder are made relative to each page (GX's favicon link from a validation
  page points one folder too high).
"""

from __future__ import annotations

import ast
import html
import logging
import os
import re
from pathlib import Path
from typing import Any

from quality.assets import VENDOR_DIR, copy_assets, local_path, replacement

log = logging.getLogger(__name__)

CREDIT = "Built with Great Expectations"

# The header logo (an <img>) and its dark-mode variant (a CSS background) both come from this bucket.
_REMOTE_LOGO = re.compile(r"https://great-expectations-web-assets\.s3[.\w-]*\.amazonaws\.com/[^\"')\s]*")
_REMOTE = r"(?:https?:)?//"
# <script src="https://…"></script> and <link … href="https://…"> (a stylesheet), wherever they stand.
_REMOTE_TAG = re.compile(
    rf"""[ \t]*(?:<script\b[^>]*?\bsrc=["']({_REMOTE}[^"']*)["'][^>]*>\s*</script>"""
    rf"""|<link\b[^>]*?\bhref=["']({_REMOTE}[^"']*)["'][^>]*>)[ \t]*\n?""",
    re.IGNORECASE,
)
_REMOTE_ANCHOR = re.compile(rf"""<a\b[^>]*?\bhref=["']{_REMOTE}[^"']*["'][^>]*>(.*?)</a>""", re.IGNORECASE | re.DOTALL)
_FOOTER = re.compile(r"<footer\b[^>]*>.*?</footer>", re.IGNORECASE | re.DOTALL)
_DARK_MODE = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)\s*\{")
# A link into the site's static folder, as GX writes it: "static/…", "./static/…" or "../../static/…".
_STATIC_LINK = re.compile(r"""\b(src|href)=(["'])(?:\./|(?:\.\./)+)?static/([^"']+)\2""")

# GX's index tables: an empty <table> and a script that hands bootstrap-table its columns, rows and options
# (Python literals, as GX's Jinja template prints them).
_TABLE_SCRIPT = re.compile(
    r"<script>\s*\$\('#(?P<id>[\w-]+)'\)\.bootstrapTable\(\s*Object\.assign\(\s*\{\s*"
    r"columns: (?P<columns>[^\n]*),\s*\n\s*data: (?P<data>[^\n]*),\s*\n\s*toolbar: '[^'\n]*'\s*\},\s*\n"
    r"\s*(?P<options>\{[^\n]*\})\s*\)\s*\);.*?</script>",
    re.DOTALL,
)
_CLEAR_FILTERS = re.compile(r"[ \t]*<button\b[^>]*clearTableFilters[^>]*>.*?</button>[ \t]*\n?", re.DOTALL)
_TABLE_FUNCTIONS = re.compile(r"<script>\s*function rowStyleLinks\(.*?</script>\s*", re.DOTALL)
_LINK_PATH = "_table_row_link_path"


def finish_site(site: Path) -> None:
    """Make the site GX just built in `site` self-contained (see the module's docstring)."""
    static = site / "static"
    copy_assets(static)
    pages = list(site.rglob("*.html"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        fixed = finish_page(text, Path(os.path.relpath(static, page.parent)).as_posix())
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")
    _drop_unused_static(site, pages)


def finish_page(text: str, static_url: str) -> str:
    """One page made self-contained; `static_url` is the site's static folder relative to the page."""
    text = _REMOTE_LOGO.sub(f"{static_url}/images/logo-long.png", text)
    text = _STATIC_LINK.sub(lambda m: f"{m[1]}={m[2]}{static_url}/{m[3]}{m[2]}", text)
    text = _local_assets(text, static_url)
    text = _drop_css_block(text, _DARK_MODE)
    text = _FOOTER.sub(lambda m: f"<footer>\n  <p>{CREDIT}</p>\n</footer>" if "//" in m[0] else m[0], text)
    text = _REMOTE_ANCHOR.sub(lambda m: m[1], text)
    return _static_tables(text)


def _local_assets(text: str, static_url: str) -> str:
    """Each CDN tag replaced by tags for the shipped files that stand in for it, or dropped."""
    linked: set[str] = set()

    def swap(match: re.Match[str]) -> str:
        url = match[1] or match[2]
        files = replacement(url)
        if not files:
            log.debug("Data Docs: dropped %s (not shipped)", url)
        tags = []
        for asset, file in files:
            path = f"{static_url}/{local_path(asset, file)}"
            if path in linked:
                continue
            linked.add(path)
            if file.endswith(".css"):
                tags.append(f'<link rel="stylesheet" href="{path}">\n')
            else:
                tags.append(f'<script src="{path}"></script>\n')
        return "".join(tags)

    return _REMOTE_TAG.sub(swap, text)


def _drop_css_block(text: str, opening: re.Pattern[str]) -> str:
    """Remove each CSS block that `opening` starts (up to its matching closing brace)."""
    while (match := opening.search(text)) is not None:
        depth, end = 1, match.end()
        while depth and end < len(text):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        text = text[: match.start()] + text[end:]
    return text


def _static_tables(text: str) -> str:
    """Write the rows of GX's bootstrap-table tables into the HTML, so the index reads without the plugin."""
    unread = 0
    for match in list(_TABLE_SCRIPT.finditer(text)):
        table = re.compile(rf'<table\s+id="{re.escape(match["id"])}"([^>]*)>\s*</table>')
        try:
            columns = ast.literal_eval(match["columns"])
            rows = ast.literal_eval(match["data"])
            options = ast.literal_eval(match["options"])
        except (ValueError, SyntaxError):
            columns = None
        if not isinstance(columns, list) or not isinstance(rows, list) or not table.search(text):
            log.warning("Data Docs: could not read the table %s; it stays empty", match["id"])
            unread += 1
            continue
        body = _table_html(columns, _sorted_rows(rows, columns, options))
        text = text.replace(match[0], "")
        text = table.sub(lambda m, body=body, id=match["id"]: f'<table id="{id}"{_table_attributes(m[1])}>\n'
                         f"{body}</table>", text)
    if unread:
        return text
    # The toolbar's "Clear Filters" button and the plugin's callbacks have nothing left to act on.
    return _TABLE_FUNCTIONS.sub("", _CLEAR_FILTERS.sub("", text))


def _table_attributes(attributes: str) -> str:
    attributes = re.sub(r'\s*data-toggle="table"', "", attributes).rstrip()
    if 'class="' in attributes:
        return attributes.replace('class="', 'class="table table-bordered table-hover ', 1)
    return attributes + ' class="table table-bordered table-hover"'


def _sorted_rows(rows: list[dict[str, Any]], columns: list[dict[str, Any]], options: dict[str, Any]) -> list:
    """The rows in the order bootstrap-table would show them first (GX sorts runs newest first)."""
    field = options.get("sortName")
    if not field:
        return rows
    key = next((c.get("sortName", field) for c in columns if c.get("field") == field), field)
    try:
        return sorted(rows, key=lambda row: row[key], reverse=options.get("sortOrder") == "desc")
    except (KeyError, TypeError):
        return rows


def _cell(tag: str, column: dict[str, Any], content: str) -> str:
    align = ' class="text-center"' if column.get("align") == "center" else ""
    return f"<{tag}{align}>{content}</{tag}>"


def _table_html(columns: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    head = "".join(_cell("th", c, html.escape(str(c.get("title", "")))) for c in columns)
    lines = [f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for row in rows:
        # Cells hold the HTML GX rendered for them (icons, links), inserted as bootstrap-table would.
        cells = [str(row.get(c.get("field"), "")) for c in columns]
        attributes = ""
        if row.get(_LINK_PATH):
            href = html.escape(str(row[_LINK_PATH]), quote=True)
            attributes = (f' class="clickable-row" data-href="{href}" style="cursor: pointer"'
                          ' onclick="window.location = this.dataset.href"')
            # The first plain-text cell (the run time, the suite's name) is a link too, for keyboards.
            plain = next((i for i, cell in enumerate(cells) if cell.strip() and "<" not in cell), None)
            if plain is not None:
                cells[plain] = f'<a href="{href}">{cells[plain].strip()}</a>'
        lines.append(f"<tr{attributes}>" + "".join(_cell("td", c, v) for c, v in zip(columns, cells, strict=True))
                     + "</tr>")
    lines.append("</tbody>")
    return "\n".join(lines) + "\n"


def _drop_unused_static(site: Path, pages: list[Path]) -> None:
    """Delete static files that no page (nor a style sheet a page loads) refers to; vendor files stay."""
    used = _referenced_files(pages)
    static = site / "static"
    vendor = static / VENDOR_DIR
    for file in list(static.rglob("*")):
        if file.is_file() and file.resolve() not in used and vendor not in file.parents:
            file.unlink()
    for folder in sorted((p for p in static.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


_ATTRIBUTE_URL = re.compile(r"""\b(?:src|href)=["']([^"']*)["']""")
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


def local_references(text: str, base: Path, *, css_only: bool = False) -> set[Path]:
    """Files a page (or a style sheet) refers to in its own folder tree: src/href attributes and CSS url()."""
    found = set()
    urls = _CSS_URL.findall(text) if css_only else _ATTRIBUTE_URL.findall(text) + _CSS_URL.findall(text)
    for url in urls:
        url = html.unescape(url).split("#", 1)[0].split("?", 1)[0]
        if not url or re.match(r"^[a-z][a-z0-9+.-]*:|^//", url, re.IGNORECASE):
            continue  # in-page anchors, data: URIs, javascript:, and (had any survived) remote URLs
        found.add((base / url).resolve())
    return found


def _referenced_files(pages: list[Path]) -> set[Path]:
    used: set[Path] = set()
    for page in pages:
        used |= local_references(page.read_text(encoding="utf-8"), page.parent)
    for sheet in [p for p in used if p.suffix == ".css" and p.is_file()]:
        used |= local_references(sheet.read_text(encoding="utf-8"), sheet.parent, css_only=True)
    return used
