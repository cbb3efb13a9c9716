"""The quality report, the quality plots and the preview in a real headless Chromium, and no tofu.

Tofu (every Chinese character drawn as the same .notdef box) is caught by drawing two characters of
very different shape (一 and 黑) in the page's own font and comparing the pixels: with a CJK font the
two differ in ink by a wide margin, as boxes they are the same picture. Private-use characters, which
no font has, are the control that shows the probe does see boxes. Screenshots are kept in
$KAIFANG_SCREENSHOTS (default: the test's temporary folder) for a person to look at.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.record import (
    Evaluation,
    EvaluationSection,
    ExpectationOutcome,
    QualitySummary,
    RiskFigures,
)
from catalog.store import CatalogStore
from tests.catalog.conftest import CHROMIUM
from tests.catalog.helpers import build_catalog, free_port, make_record, serving, stage

if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
Image = pytest.importorskip("PIL.Image", reason="the tofu probe compares pixels with Pillow")
pytestmark = pytest.mark.browser
DATASET = "air-quality"


def release(version: int, warned: bool, min_class: int, unique: int) -> Any:
    record = make_record(DATASET, title="空气质量监测", theme="生态环境", run_id=f"air-{version}")
    record.rows_in, record.rows_out, record.suppressed = 100 + version * 10, 98 + version * 10, 2
    record.risk_after = RiskFigures(quasi_identifiers=["站点"], records=98, classes=10, min_class_size=min_class,
                                    prosecutor_average=0.1, prosecutor_highest=1 / min_class,
                                    records_at_risk_share=0.0, sample_uniques=0)
    outcomes = [
        ExpectationOutcome(expectation="expect_column_values_to_not_be_null", column="站点", severity="critical",
                           success=True, message="站点 is filled"),
        ExpectationOutcome(expectation="expect_column_proportion_of_non_null_values_to_be_between", column="客流",
                           severity="warning", success=not warned, unexpected_count=7 if warned else 0,
                           unexpected_percent=6.481 if warned else 0.0, message="客流 is mostly filled"),
    ]
    record.quality = QualitySummary(passed=True, evaluated=2, outcomes=outcomes, docs_index="quality/index.html",
                                    failed_warning=["客流 is mostly filled"] if warned else [])
    record.evaluation = Evaluation(
        scenario="无条件开放（公众自由获取）", residual_risk="残余风险低。",
        conclusion="去标识化效果符合要求，可以发布。",
        passed=True, figures={"uniqueness": {"records": 98, "unique_records": unique, "max_size": 3}},
        sections=[EvaluationSection(key="quantitative", title="定量评估", passed=True,
                                    findings=[f"最小等价类 {min_class} 条记录。"])])
    return record


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CatalogStore]]:
    from catalog.portal import create_app

    root = tmp_path_factory.mktemp("browser-quality")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = build_catalog(root, base_url=base)
    for version, (warned, min_class, unique) in enumerate([(False, 8, 3), (True, 6, 5), (True, 5, 9)], start=1):
        store.publish(release(version, warned, min_class, unique), stage(root / f"s-air-{version}", rows=45))
    with serving(create_app(store, base), port):
        yield base, store
    store.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("KAIFANG_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ink(png: bytes) -> int:
    """How many pixels of a screenshot are dark: the amount of a glyph's strokes."""
    picture = Image.open(io.BytesIO(png)).convert("L")
    return sum(1 for value in picture.getdata() if value < 128)


def glyph_shots(tab: Any, first: str, second: str) -> tuple[bytes, bytes]:
    """Two characters drawn in the page's own font, large, each screenshotted on its own."""
    tab.evaluate(
        """([a, b]) => { for (const [id, text] of [["probe-a", a], ["probe-b", b]]) {
            document.getElementById(id)?.remove();
            const span = document.createElement("span");
            span.id = id; span.textContent = text;
            span.style.cssText = "font-size:64px;line-height:1;display:inline-block;background:#fff;color:#000";
            document.querySelector("main").prepend(span); } }""",
        [first, second],
    )
    return tab.locator("#probe-a").screenshot(), tab.locator("#probe-b").screenshot()


def looks_like_tofu(tab: Any, first: str = "一", second: str = "黑") -> bool:
    """True when two characters of very different shape draw the same picture (the .notdef box)."""
    a, b = glyph_shots(tab, first, second)
    ink_a, ink_b = ink(a), ink(b)
    return a == b or abs(ink_a - ink_b) < 0.25 * max(ink_a, ink_b, 1)


def test_the_probe_sees_boxes_where_no_font_has_the_character(portal, page: Any) -> None:
    page.goto(portal[0] + "/")
    assert looks_like_tofu(page, "\ue000", "\ue001")  # private use: every font draws its .notdef box


def test_the_probe_sees_tofu_in_a_chromium_without_cjk_fonts(portal, browser: Any, tmp_path: Path,
                                                             shots: Path) -> None:
    """The probe's proof: the same page in a Chromium whose fontconfig knows only DejaVu shows boxes."""
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        "<dir>/usr/share/fonts/truetype/dejavu</dir>"
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>", "utf-8")
    chromium = browser.browser_type.launch(  # a second Chromium from the same playwright
        executable_path=str(CHROMIUM), headless=True, args=["--headless", "--no-sandbox", "--disable-gpu"],
        env={**os.environ, "FONTCONFIG_FILE": str(config)})
    try:
        tab = chromium.new_page()
        tab.goto(portal[0] + f"/datasets/{DATASET}/quality")
        tab.locator("h1").screenshot(path=str(shots / "heading-without-cjk-font.png"))
        assert looks_like_tofu(tab)
    finally:
        chromium.close()


@pytest.mark.parametrize("path", ["/", f"/datasets/{DATASET}/quality", f"/datasets/{DATASET}/preview"])
def test_chinese_is_drawn_in_a_cjk_font_not_tofu(portal, page: Any, path: str, shots: Path) -> None:
    page.goto(portal[0] + path)
    page.locator("h1").screenshot(path=str(shots / f"heading{path.replace('/', '_')}.png"))
    assert not looks_like_tofu(page), "Chinese renders as boxes: install fonts-noto-cjk (make system-deps)"


def test_the_quality_report_answers_did_it_pass_and_what_warned(portal, page: Any, shots: Path) -> None:
    base, _ = portal
    page.goto(f"{base}/datasets/{DATASET}")
    page.click("#quality-report")
    page.wait_for_url(f"**/datasets/{DATASET}/quality")
    assert page.locator("#verdict .verdict").inner_text() == "通过但有警告"
    failed = page.locator("#expectations-failed tbody tr").all_inner_texts()
    assert len(failed) == 1 and failed[0].startswith("非空比例在范围内")
    assert "警告" in failed[0] and "6.48%" in failed[0]
    assert not page.locator("#expectations-passed").is_visible()  # passed ones fold away
    page.click("#expectations-passed-list summary")
    assert "严重" in page.locator("#expectations-passed").inner_text()
    assert "k-匿名" in page.locator("#decision-checks").inner_text()
    assert "定量评估：符合要求" in page.locator("#guard-evaluation").inner_text()
    assert page.locator("#data-docs").get_attribute("href") == f"/datasets/{DATASET}/versions/3/quality/index.html"
    page.screenshot(path=str(shots / "quality-report.png"), full_page=True)
    page.goto(f"{base}/datasets/{DATASET}/versions/3/quality/report.html")  # the file in the release folder
    assert page.locator(".verdict").inner_text() == "通过但有警告"
    page.screenshot(path=str(shots / "quality-report-file.png"), full_page=True)


def test_the_history_plots_load_as_images(portal, page: Any, shots: Path) -> None:
    base, _ = portal
    page.goto(f"{base}/datasets/{DATASET}/quality")
    page.click("#quality-history")
    page.wait_for_load_state("networkidle")
    images = page.locator(".plots img")
    assert images.count() == 5
    for index in range(images.count()):
        assert images.nth(index).evaluate("img => img.complete && img.naturalWidth > 300")
    figures = page.locator("#quality-figures tbody tr").all_inner_texts()
    assert len(figures) == 3 and "5" in figures[2]
    page.screenshot(path=str(shots / "quality-history.png"), full_page=True)
    page.locator("#plot-min-class").screenshot(path=str(shots / "plot-min-class.png"))


def test_preview_pages_through_the_rows_with_types(portal, page: Any, shots: Path) -> None:
    base, _ = portal
    page.goto(f"{base}/datasets/{DATASET}")
    page.click("#preview-link")
    headers = page.locator("#preview thead th").all_inner_texts()
    assert headers[1].split() == ["站点", "string"] and headers[3].split() == ["客流", "integer"]
    assert page.locator("#preview tbody tr").count() == 20
    assert "共 45 条记录" in page.locator("#preview-count").inner_text()
    page.screenshot(path=str(shots / "preview.png"), full_page=True)
    page.click("#pager a[rel=next]")
    page.click("#pager a[rel=next]")
    assert page.locator("#preview tbody tr").count() == 5
    assert page.locator("#preview tbody tr").first.inner_text().startswith("41")
