"""The HTML pages in a real browser: Debian's chromium, headless, driven by Playwright.

``report.html`` and a ``linker show --html`` page of a small demo are opened; each must render without a script
error, its images must load, and the neighbourhood page's interactive parts must work (hover, click to
highlight, zoom to show identifier labels, drag). A screenshot of each page is kept in ``test-artifacts/``
(``LINKER_ARTIFACTS`` moves it). Chromium comes from ``scripts/install-browser.sh`` (run by ``.ci/run``);
without it these tests are skipped, except in CI, where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linker.cli import app

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("LINKER_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
runner = CliRunner()

if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("chromium is missing: .ci/run must run scripts/install-browser.sh", pytrace=False)
    pytest.skip("chromium is not installed (bash scripts/install-browser.sh)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo run: its output folder."""
    folder = tmp_path_factory.mktemp("pages") / "demo"
    result = runner.invoke(app, ["demo", "-o", str(folder), "--customers", "300", "--accounts", "900",
                                 "--events", "6000", "-q"])
    assert result.exit_code == 0, result.output
    return folder / "out"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


def _open(browser: object, path: Path, size: tuple[int, int]) -> tuple[object, list[str]]:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors


def _keep(page: object, name: str, **options: object) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / name
    page.screenshot(path=str(target), **options)  # type: ignore[attr-defined]
    return target


def test_the_report_renders_with_its_summary_first_and_every_chart(browser: object, demo: Path) -> None:
    page, errors = _open(browser, demo / "report.html", (1200, 900))
    headings = page.locator("h2").all_inner_texts()
    assert headings[0] == "Summary" and headings[-1] == "Run settings" and "Match model" in headings
    assert page.locator("#kpi-linked b").inner_text().replace(",", "").isdigit()
    images = page.locator("img")
    assert images.count() >= 6
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    assert errors == []
    assert _keep(page, "report.png", full_page=True).stat().st_size > 10_000


def test_the_neighbourhood_page_draws_and_responds(browser: object, demo: Path, tmp_path: Path) -> None:
    customer = json.loads(runner.invoke(app, [
        "cypher", ("MATCH (a:OnlineAccount)-[l:LINKED_TO]->(c:Customer) WHERE l.decision = 'ambiguous' "
                   "RETURN c.customer_id AS id ORDER BY id LIMIT 1"), "-r", str(demo), "-f", "json"]).stdout)[0]["id"]
    html = tmp_path / "neighbourhood.html"
    result = runner.invoke(app, ["show", customer, "--html", str(html), "-r", str(demo)])
    assert result.exit_code == 0, result.output
    page, errors = _open(browser, html, (1200, 800))
    data = json.loads(page.locator("#graph-data").text_content())
    nodes = page.locator("g.node")
    assert nodes.count() == len(data["nodes"]) > 1
    assert page.locator("#edges line.edge").count() == len(data["edges"])
    assert page.locator(".legend .edge-key svg line").count() == 4        # edge styles drawn as lines
    assert page.locator("#edges line.edge.ambiguous").count() >= 1
    assert page.locator("#edges line.edge.rejected").count() >= 1          # rejected candidates, from the run
    assert page.locator("text.elabel").count() >= 1                        # owner probabilities on decisions
    assert "(" + customer + ")" in page.locator("g.node.focus text").text_content()
    assert "****" in page.content()                                        # masked without --unmask
    _keep(page, "neighbourhood.png")

    focus = page.locator("g.node.focus circle")
    focus.hover()
    assert page.locator("#tip").is_visible() and "Customer" in page.locator("#tip").text_content()
    minor = page.locator("g.node.minor text")
    assert minor.count() > 0 and not minor.first.is_visible()     # identifier labels wait for zoom or a click
    focus.click()
    assert page.locator("g.node.dim").count() + page.locator("g.node.near").count() == nodes.count()
    assert page.locator("g.node.near.minor text").first.is_visible()
    focus.click()                                                   # click again: the highlight goes
    assert page.locator("g.node.dim").count() == 0
    page.mouse.move(600, 450)
    for _ in range(3):                                              # to about 2.5 times: labels come
        page.mouse.wheel(0, -200)
    assert page.locator("svg.zoomed").count() == 1 and minor.first.is_visible()
    before = page.locator("g.node.focus").get_attribute("transform")
    box = focus.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 40, steps=4)
    page.mouse.up()
    assert page.locator("g.node.focus").get_attribute("transform") != before
    assert errors == []
    _keep(page, "neighbourhood-zoomed.png")
