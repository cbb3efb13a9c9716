"""Data Docs are self-contained: no page loads or links anything from another host, every file exists."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from quality import validate_release
from quality.assets import ASSETS, versions
from quality.docs import CREDIT, finish_page, finish_site
from tests.quality.conftest import NOW

# Hosts GX's templates name: CDNs, GX's web-asset bucket and its website.
THIRD_PARTIES = ("jsdelivr", "cdnjs", "unpkg.com", "bootstrapcdn", "code.jquery.com", "amazonaws.com",
                 "greatexpectations.io")


def build_site(root: Path) -> Path:
    """Data Docs of a small release with one failed check (a repeated key), as `validate_release` writes them."""
    frame = pd.DataFrame({"编号": ["A1", "A1", "A3"], "区县": ["历下区", "市中区", "槐荫区"], "人数": [3, 5, 8]})
    summary = validate_release(frame, dataset_id="offline-demo", key=["编号"], now=NOW,
                               docs_dir=root / "release" / "quality")
    assert not summary.passed
    return root / "release" / "quality"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [(tag, name, value or "") for name, value in attrs if name in ("src", "href")]


def links(page: Path) -> list[tuple[str, str, str]]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.urls


def local_target(base: Path, url: str) -> Path | None:
    """The file a relative URL names, or None for an in-page anchor."""
    path = url.split("#", 1)[0].split("?", 1)[0]
    return (base / path).resolve() if path else None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("offline"))


def pages(site: Path) -> list[Path]:
    found = sorted(site.rglob("*.html"))
    assert {"index.html", "expectations", "validations"} <= {p.relative_to(site).parts[0] for p in found}
    return found


def test_no_page_refers_to_another_host(site: Path) -> None:
    for page in pages(site):
        remote = [(tag, attr, url) for tag, attr, url in links(page) if re.match(r"^\s*(https?:)?//", url, re.I)]
        assert remote == [], f"{page.relative_to(site)} refers to {remote}"
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"""url\(\s*['"]?\s*(https?:)?//""", text), page
        named = [host for host in THIRD_PARTIES if host in text]
        assert named == [], f"{page.relative_to(site)} still names {named}"
        assert "newsletter" not in text.lower() and "Subscribe" not in text
        assert CREDIT in text


def test_every_local_reference_exists_inside_the_site(site: Path) -> None:
    sheets: set[Path] = set()
    for page in pages(site):
        for tag, attr, url in links(page):
            target = local_target(page.parent, url)
            if target is None:
                continue
            assert target.is_file(), f"{page.relative_to(site)}: <{tag} {attr}={url!r}> names a missing file"
            assert site.resolve() in target.parents, f"{page.relative_to(site)}: {url} leaves the site"
            if target.suffix == ".css":
                sheets.add(target)
    # Style sheets' own url()s (Font Awesome's font); data: URIs are inline.
    assert sheets
    for sheet in sheets:
        for url in re.findall(r"""url\(\s*['"]?([^'")]+)""", sheet.read_text(encoding="utf-8")):
            if url.startswith("data:"):
                continue
            assert not re.match(r"^(https?:)?//", url), f"{sheet.name} loads {url}"
            target = local_target(sheet.parent, url)
            assert target is not None and target.is_file(), f"{sheet.name}: url({url}) names a missing file"


def test_pages_load_the_shipped_bootstrap_jquery_and_icons(site: Path) -> None:
    static = site / "static"
    for page in pages(site):
        loaded = {local_target(page.parent, url) for tag, _, url in links(page) if tag in ("link", "script")}
        loaded = {p.relative_to(static.resolve()).as_posix() for p in loaded if p and static.resolve() in p.parents}
        assert {"vendor/bootstrap/css/bootstrap.min.css", "vendor/bootstrap/js/bootstrap.bundle.min.js",
                "vendor/jquery/jquery.min.js", "vendor/font-awesome/css/fontawesome.min.css",
                "vendor/font-awesome/css/solid.min.css"} <= loaded, page
        text = page.read_text(encoding="utf-8")
        # jQuery before Bootstrap's plugins; no tag for what is not shipped.
        assert text.index("jquery.min.js") < text.index("bootstrap.bundle.min.js")
        for dropped in ("bootstrap-table", "datepicker", "bootstrap-dark", "vega", "popper"):
            assert not re.search(rf"<(script|link)\b[^>]*{dropped}", text), (page, dropped)
    assert (static / "vendor/bootstrap/css/bootstrap.min.css").read_text(encoding="utf-8").find("Bootstrap v4.") > 0
    assert "jQuery v3." in (static / "vendor/jquery/jquery.min.js").read_text(encoding="utf-8")[:200]
    assert set(versions()) == {a.distribution for a in ASSETS}


def test_the_index_lists_runs_and_suites_without_javascript(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    validation = next(site.glob("validations/**/*.html")).relative_to(site).as_posix()
    assert f'<a href="{validation}">' in index  # the run time links to the validation page
    assert '<a href="expectations/offline-demo.html">offline-demo</a>' in index
    assert "fa-times text-danger" in index  # the failed run's status icon
    assert "bootstrapTable" not in index and "clearTableFilters" not in index


def test_only_used_static_files_are_shipped_and_the_site_stays_small(site: Path) -> None:
    static = sorted(p.relative_to(site / "static").as_posix() for p in (site / "static").rglob("*") if p.is_file())
    assert static == [
        "images/favicon.ico", "images/logo-long.png",
        "vendor/bootstrap/css/bootstrap.min.css", "vendor/bootstrap/js/bootstrap.bundle.min.js",
        "vendor/font-awesome/LICENSE.txt", "vendor/font-awesome/css/fontawesome.min.css",
        "vendor/font-awesome/css/solid.min.css", "vendor/font-awesome/webfonts/fa-solid-900.woff2",
        "vendor/jquery/jquery.min.js",
    ]
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    vendor = sum(f.stat().st_size for f in (site / "static" / "vendor").rglob("*") if f.is_file())
    assert vendor < 600_000, vendor  # about 570 kB
    assert size < 800_000, size  # about 660 kB for a release (as GX builds it: 4.1 MB)


def test_finishing_twice_changes_nothing(site: Path) -> None:
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    finish_site(site)
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before


def test_a_page_at_any_depth_links_the_static_folder_relative_to_itself() -> None:
    page = """<head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<script src="https://cdn.jsdelivr.net/npm/some-new-widget@2"></script>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<link rel="shortcut icon" href="../../static/images/favicon.ico" type="image/x-icon"/>
</head><body><p>See <a href="https://greatexpectations.io/docs">the docs</a>.</p>
<footer><p>Newsletter <a href="https://greatexpectations.io/newsletter">Subscribe</a></p></footer></body>"""
    finished = finish_page(page, "../../../../../static")
    assert '<link rel="stylesheet" href="../../../../../static/vendor/bootstrap/css/bootstrap.min.css">' in finished
    assert '<script src="../../../../../static/vendor/jquery/jquery.min.js"></script>' in finished
    assert 'href="../../../../../static/images/favicon.ico"' in finished
    assert "some-new-widget" not in finished  # an unknown CDN script is dropped, not left to call out
    assert "<p>See the docs.</p>" in finished
    assert f"<footer>\n  <p>{CREDIT}</p>\n</footer>" in finished
    assert "http" not in finished


def test_index_rows_are_written_newest_first_each_linking_its_page() -> None:
    # The shape GX's bootstrap_table.j2 prints: an empty table, then a script with Python literals.
    columns = [{"field": "ok", "title": "Status", "align": "center"},
               {"field": "run_time", "title": "Run Time", "sortName": "_s"}]
    rows = [{"ok": '<i class="fas fa-check-circle"></i>', "run_time": "March 1", "_s": 1.0,
             "_table_row_link_path": "v/1.html"},
            {"ok": '<i class="fas fa-times"></i>', "run_time": "March 9", "_s": 9.0,
             "_table_row_link_path": "v/9.html"}]
    page = f"""<div id="t-toolbar" class="ml-1">
    <button class="btn btn-sm btn-secondary ml-1" onclick="clearTableFilters('t')">Clear Filters</button>
</div>
<table
  id="t"
  class="table-sm ge-index-page-validation-results-table"
  data-toggle="table"
>
</table>
<script>
  $('#t').bootstrapTable(
    Object.assign(
      {{
        columns: {columns!r},
        data: {rows!r},
        toolbar: '#t-toolbar'
      }},
      {{'search': 'true', 'sortName': 'run_time', 'sortOrder': 'desc', 'pagination': 'true'}}
    )
  );
</script>"""
    finished = finish_page(page, "static")
    assert "bootstrapTable" not in finished and "Clear Filters" not in finished and "data-toggle" not in finished
    assert '<th class="text-center">Status</th><th>Run Time</th>' in finished
    assert finished.index('<a href="v/9.html">March 9</a>') < finished.index('<a href="v/1.html">March 1</a>')
    assert 'class="table table-bordered table-hover table-sm ge-index-page-validation-results-table"' in finished
