"""The built demo report in a real browser: Debian's headless Chromium driven by Playwright (slow).

Every page is opened at 1,400 px wide, as a reader's laptop shows it, and must have no
table wider than its container, no console error, every image loaded and no request
outside ``file://``; the Cohort page is printed to an A4 PDF with its tables uncut.
A tiny book with math checks that MathJax typesets offline from the report's own copy.
Skips with the reason when Chromium or the ``playwright`` package is absent (no browser
is ever downloaded: Playwright drives ``/usr/bin/chromium``).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from hemstats.report import build_report, find_book_source

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(f"headless Chromium not installed at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install playwright)"
)

LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
#: A reader's laptop window.
WIDTH, HEIGHT = 1400, 1000
#: The printable width of an A4 page with 15 mm margins, in CSS pixels (96 per inch).
A4_MARGIN_MM = 15
A4_PRINTABLE_PX = int((210 - 2 * A4_MARGIN_MM) / 25.4 * 96)
#: Schemes a page may load from: its own files, and what a page makes in memory.
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def _pages() -> list[str]:
    """Every page of the report: the chapters of the book's table of contents, the index and search."""
    toc = yaml.safe_load((find_book_source() / "_toc.yml").read_text())
    chapters = [toc["root"]] + [c["file"] for part in [toc] for c in part.get("chapters", [])]
    return ["index", *chapters, "genindex", "search"]


# Width of each table against its container (the element it sits in: a scroll wrapper, a
# cell output or the article) and against the article, the page's content column.
_TABLES_JS = """
() => {
  const article = document.querySelector('article') || document.body;
  const right = article.getBoundingClientRect().right;
  return Array.from(document.querySelectorAll('table')).map((t, i) => {
    const box = t.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) return null;  // hidden (a collapsed section)
    const container = t.parentElement;
    const head = t.querySelector('caption') || t.querySelector('th') || t.querySelector('td');
    return {
      index: i,
      label: (t.id || (head ? head.textContent : '') || '').trim().slice(0, 60),
      width: Math.max(t.scrollWidth, Math.ceil(box.width)),
      container: container.clientWidth,
      containerScroll: container.scrollWidth,
      overRight: Math.ceil(box.right - right),
    };
  }).filter(x => x !== null);
}
"""

_IMAGES_JS = """
async () => {
  const images = Array.from(document.images);
  images.forEach(i => { i.loading = 'eager'; });
  await Promise.all(images.map(i => i.decode().catch(() => null)));
  return images.map(i => ({src: i.getAttribute('src'), width: i.naturalWidth}));
}
"""


def overflowing(tables: list[dict[str, Any]]) -> list[str]:
    """The tables wider than their container or reaching past the content column, as text."""
    return [
        f"table {t['index']} {t['label']!r}: {t['width']} px in a {t['container']} px container"
        + (f", {t['overRight']} px past the content column" if t["overRight"] > 1 else "")
        for t in tables
        if t["width"] > t["container"] + 1 or t["containerScroll"] > t["container"] + 1 or t["overRight"] > 1
    ]


@pytest.fixture(scope="module")
def report(demo_report) -> Path:
    """The html folder of the session's small demo report (every chapter runs)."""
    return demo_report[0].parent


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        yield chromium
        chromium.close()


class Visit:
    """One page opened in a fresh browser context, with every request and console error recorded."""

    def __init__(self, browser: Any, url: str, *, width: int = WIDTH, media: str = "screen") -> None:
        self.context = browser.new_context(viewport={"width": width, "height": HEIGHT}, offline=True)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed to load {r.url}: {r.failure}"))
        self.page.emulate_media(media=media)
        self.page.goto(url, wait_until="networkidle")

    def external(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("name", _pages())
def test_page_in_chromium(report, browser, name, tmp_path):
    from PIL import Image

    path = report / f"{name}.html"
    assert path.is_file(), f"{name}.html was not built"
    visit = Visit(browser, path.as_uri())
    try:
        page = visit.page
        images = page.evaluate(_IMAGES_JS)
        tables = page.evaluate(_TABLES_JS)
        shot = tmp_path / f"{name}.png"
        page.screenshot(path=str(shot), full_page=False)
        height = page.evaluate("document.documentElement.scrollHeight")
    finally:
        visit.close()
    problems = [f"request outside file://: {u}" for u in visit.external()] + visit.errors
    problems += [f"image did not load: {i['src']}" for i in images if i["width"] <= 0]
    problems += [f"wider than its container at {WIDTH} px: {w}" for w in overflowing(tables)]
    with Image.open(shot) as img:
        colours = img.convert("RGB").getcolors(maxcolors=64)
    if colours is not None and len(colours) <= 8:
        problems.append("blank screenshot")
    print(f"{name}: {len(tables)} tables, {len(images)} images, {height} px tall")
    assert problems == [], f"{name}.html:\n  " + "\n  ".join(problems)


def test_cohort_page_prints_to_a4_uncut(report, browser, tmp_path):
    """Under print media at the A4 printable width every table fits; the PDF is written."""
    visit = Visit(browser, (report / "cohort.html").as_uri(), width=A4_PRINTABLE_PX, media="print")
    try:
        tables = visit.page.evaluate(_TABLES_JS)
        page_width = visit.page.evaluate("document.documentElement.scrollWidth")
        pdf = tmp_path / "cohort.pdf"
        margin = f"{A4_MARGIN_MM}mm"
        visit.page.pdf(
            path=str(pdf), format="A4", print_background=True,
            margin={"top": margin, "bottom": margin, "left": margin, "right": margin},
        )
    finally:
        visit.close()
    assert tables, "the Cohort page has no table"
    problems = [f"request outside file://: {u}" for u in visit.external()] + visit.errors
    problems += [f"cut: {w}" for w in overflowing(tables)]
    problems += [
        f"table {t['index']} {t['label']!r}: {t['width']} px on a {A4_PRINTABLE_PX} px A4 line"
        for t in tables
        if t["width"] > A4_PRINTABLE_PX + 1
    ]
    if page_width > A4_PRINTABLE_PX + 1:
        problems.append(f"the printed page is {page_width} px wide, the A4 line {A4_PRINTABLE_PX} px")
    assert problems == [], "cohort.html printed to A4:\n  " + "\n  ".join(problems)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000


# ----------------------------------------------------------------------------------------------
# Math: MathJax from the report itself, on the pages with math only
# ----------------------------------------------------------------------------------------------
MATH_PAGE = r"""# Math

Inline $a^2 + b^2 = c^2$, a role {math}`\sqrt{2}` and a display equation that needs a TeX
extension MathJax loads on demand:

$$
\hat{p} = \frac{x}{n}, \qquad \cancel{\mathbb{E}}[x]
$$
"""


@pytest.fixture(scope="module")
def math_report(tmp_path_factory) -> Path:
    """The html folder of a two-page book: one page with math, one without."""
    root = tmp_path_factory.mktemp("math")
    book = root / "book"
    book.mkdir()
    shutil.copy(find_book_source() / "_config.yml", book / "_config.yml")
    (book / "_toc.yml").write_text("format: jb-book\nroot: plain\nchapters:\n  - file: math\n")
    (book / "plain.md").write_text("# Plain\n\nNo math here.\n")
    (book / "math.md").write_text(MATH_PAGE)
    return build_report(None, out=root / "out", progress=False, book=book).parent


def test_math_typesets_offline(math_report, browser):
    static = math_report / "_static" / "mathjax"
    assert (static / "tex-chtml.js").is_file()
    size = sum(p.stat().st_size for p in static.rglob("*") if p.is_file())
    assert size < 3_000_000, f"MathJax ships {size} bytes"
    assert "mathjax/tex-chtml.js" in (math_report / "math.html").read_text(encoding="utf-8")
    # the front page lists the math page in its table of contents but has no math of its own
    plain = (math_report / "plain.html").read_text(encoding="utf-8")
    assert "tex-chtml.js" not in plain and "window.MathJax" not in plain
    visit = Visit(browser, (math_report / "math.html").as_uri())
    try:
        visit.page.wait_for_selector("mjx-container", timeout=20_000)
        n_math = visit.page.evaluate("document.querySelectorAll('mjx-container').length")
        unknown = visit.page.evaluate("document.querySelectorAll('mjx-merror, [data-mjx-error]').length")
        fonts = [u for u in visit.requests if "woff" in u]
    finally:
        visit.close()
    assert visit.external() == [] and visit.errors == []
    assert n_math >= 3 and unknown == 0
    assert fonts and all(u.startswith("file:") for u in fonts)
