"""save_figure writes the formats asked for, reproducibly, and refuses what it cannot do."""

from __future__ import annotations

import datetime as dt
import os
import struct
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from hemstats.errors import FigureOptionError, HemstatsError
from hemstats.plots.export import FIGURE_FORMATS, save_figure
from hemstats.plots.style import figure_size, paper_style

MAGIC = {"pdf": b"%PDF-", "png": b"\x89PNG\r\n\x1a\n"}


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def make_figure():
    """A small figure with text, lines, bars, an image and clipping: what makes saves vary."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(2.0, 1.0))
    a.plot([0, 1, 2], [0.1, 0.4, 0.2], label="sdh")
    a.bar(["x", "y"], [0.3, 0.5])
    a.set_title("Prevalence")
    a.legend()
    b.imshow([[0, 1], [1, 0]])
    return fig


def png_chunks(data: bytes) -> list[bytes]:
    pos, names = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        names.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return names


def assert_format(path: Path, fmt: str) -> None:
    head = path.read_bytes()[:200]
    if fmt == "svg":
        assert head.startswith(b"<?xml") and b"<svg" in head
    else:
        assert head.startswith(MAGIC[fmt])


# ---------------------------------------------------------------- what is written


def test_writes_each_format_with_its_magic_bytes(tmp_path):
    paths = save_figure(make_figure(), tmp_path / "fig")
    assert paths == [tmp_path / "fig.pdf", tmp_path / "fig.svg", tmp_path / "fig.png"]
    for path, fmt in zip(paths, FIGURE_FORMATS, strict=True):
        assert_format(path, fmt)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("prev.pdf", ["prev.pdf", "prev.png"]),
        ("prev.PNG", ["prev.pdf", "prev.png"]),
        ("prev", ["prev.pdf", "prev.png"]),
        ("prev.v2", ["prev.v2.pdf", "prev.v2.png"]),
    ],
)
def test_suffix_is_replaced(tmp_path, name, expected):
    paths = save_figure(make_figure(), tmp_path / name, formats=("pdf", "png"))
    assert [p.name for p in paths] == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == expected


def test_formats_order_single_name_and_duplicates(tmp_path):
    fig = make_figure()
    assert [p.suffix for p in save_figure(fig, tmp_path / "a", formats=["png", ".SVG", "png"])] == [".png", ".svg"]
    (only,) = save_figure(fig, tmp_path / "b", formats="svg")
    assert only == tmp_path / "b.svg"
    assert not (tmp_path / "b.pdf").exists()


def test_creates_the_folder(tmp_path):
    target = tmp_path / "figures" / "paper" / "fig1.pdf"
    paths = save_figure(make_figure(), target)
    assert all(p.parent == target.parent and p.is_file() for p in paths)


def test_png_dpi_and_pixel_size(tmp_path):
    fig = make_figure()  # 2 x 1 inches
    (png,) = save_figure(fig, tmp_path / "hi", formats="png")
    with Image.open(png) as im:
        # pHYs stores whole pixels per metre, so the dpi read back is within 0.05 of the request
        assert im.info["dpi"] == pytest.approx((600, 600), abs=0.05)
        assert im.size == (1200, 600)
    (png,) = save_figure(fig, tmp_path / "lo", formats="png", dpi=150)
    with Image.open(png) as im:
        assert im.info["dpi"] == pytest.approx((150, 150), abs=0.05)
        assert im.size == (300, 150)


def test_overwrites_existing_files(tmp_path):
    (tmp_path / "fig.png").write_bytes(b"old")
    (png,) = save_figure(make_figure(), tmp_path / "fig", formats="png")
    assert_format(png, "png")


# ---------------------------------------------------------------- reproducible bytes


def test_two_saves_are_byte_identical(tmp_path):
    fig = make_figure()
    first = save_figure(fig, tmp_path / "one" / "fig")
    second = save_figure(fig, tmp_path / "two" / "fig")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.suffix
    again = save_figure(fig, tmp_path / "one" / "fig")  # overwrite in place
    for a, b in zip(again, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.suffix


def test_reproducible_in_paper_style_and_across_fresh_figures(tmp_path):
    with paper_style():
        one = save_figure(make_figure(), tmp_path / "one")
        two = save_figure(make_figure(), tmp_path / "two")
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.suffix


def test_no_timestamps_in_files(tmp_path):
    pdf, svg, png = save_figure(make_figure(), tmp_path / "fig")
    assert b"/CreationDate" not in pdf.read_bytes()
    assert b"<dc:date>" not in svg.read_bytes()
    data = png.read_bytes()
    assert b"tIME" not in png_chunks(data)
    with Image.open(png) as im:
        assert not {k for k in im.info if "time" in k.lower() or "date" in k.lower()}


def test_leaves_rcparams_alone(tmp_path):
    before = dict(matplotlib.rcParams)
    save_figure(make_figure(), tmp_path / "fig")
    assert dict(matplotlib.rcParams) == before
    assert matplotlib.rcParams["svg.hashsalt"] is None


def test_editable_text_inside_paper_style(tmp_path):
    with paper_style():
        fig, ax = plt.subplots(figsize=figure_size())
        ax.set_xlabel("Age (years)")
        pdf, svg = save_figure(fig, tmp_path / "fig", formats=("pdf", "svg"))
    pdf_bytes, svg_bytes = pdf.read_bytes(), svg.read_bytes()
    # fonttype 42: an embedded TrueType font program (FontFile2), no Type 3 glyph procedures
    assert b"/FontFile2" in pdf_bytes and b"/Type3" not in pdf_bytes
    assert b"<text" in svg_bytes and b"Age (years)" in svg_bytes


# ---------------------------------------------------------------- metadata


def test_metadata_goes_to_the_formats_that_store_it(tmp_path):
    meta = {"Title": "Prevalence of ICH", "Author": "hemstats", "Description": "forest plot"}
    pdf, svg, png = save_figure(make_figure(), tmp_path / "fig", metadata=meta)
    pdf_bytes, svg_bytes = pdf.read_bytes(), svg.read_bytes()
    assert b"Prevalence of ICH" in pdf_bytes and b"hemstats" in pdf_bytes
    assert b"<dc:title>Prevalence of ICH</dc:title>" in svg_bytes and b"hemstats" not in svg_bytes
    assert b"<dc:description>forest plot</dc:description>" in svg_bytes
    with Image.open(png) as im:
        assert im.info["Title"] == "Prevalence of ICH" and im.info["Author"] == "hemstats"
        assert im.info["Description"] == "forest plot"


def test_metadata_none_removes_a_default_and_dates_can_be_given(tmp_path):
    (png,) = save_figure(make_figure(), tmp_path / "fig", formats="png", metadata={"Software": None})
    with Image.open(png) as im:
        assert "Software" not in im.info
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    (pdf,) = save_figure(make_figure(), tmp_path / "dated", formats="pdf", metadata={"CreationDate": when})
    assert b"/CreationDate (D:20240102030405Z)" in pdf.read_bytes()


# ---------------------------------------------------------------- refusals


def test_unknown_format_lists_the_allowed_ones_and_writes_nothing(tmp_path):
    with pytest.raises(HemstatsError, match=r"unknown format\(s\) \['tiff'\]; allowed formats are pdf, svg, png"):
        save_figure(make_figure(), tmp_path / "out" / "fig", formats=("pdf", "tiff"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"formats": ()}, "no format given"),
        ({"formats": 3}, "sequence of format names"),
        ({"dpi": 0}, "dpi must be a positive"),
        ({"dpi": "600"}, "dpi must be a positive"),
        ({"metadata": ["Title"]}, "metadata must be a mapping"),
        ({"metadata": {1: "x"}}, "metadata keys must be str"),
        ({"metadata": {"Author": "me"}, "formats": "svg"}, "'Author' fits none of the formats \\['svg'\\]"),
        ({"metadata": {"ModDate": dt.datetime(2024, 1, 1)}, "formats": ("svg", "png")}, "'ModDate' fits none"),
    ],
)
def test_refuses_bad_options(tmp_path, kwargs, match):
    with pytest.raises(FigureOptionError, match=match):
        save_figure(make_figure(), tmp_path / "fig", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_refuses_an_axes_with_a_hint(tmp_path):
    fig = make_figure()
    with pytest.raises(FigureOptionError, match="pass ax.figure"):
        save_figure(fig.axes[0], tmp_path / "fig")


@pytest.mark.parametrize("name", [".", ""])
def test_refuses_a_folder_as_path(tmp_path, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FigureOptionError, match="names a folder"):
        save_figure(make_figure(), name)
    with pytest.raises(FigureOptionError, match="names a folder"):
        save_figure(make_figure(), tmp_path)


def test_byte_identical_across_processes(tmp_path):
    # what a rebuilt report relies on: a fresh interpreter (other hash seed) writes the same bytes
    code = (
        "import sys, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt; "
        "from hemstats.plots.export import save_figure; from hemstats.plots.style import paper_style\n"
        "with paper_style():\n"
        "    fig, ax = plt.subplots(); ax.plot([0, 1], [1, 0], label='sdh'); ax.legend(); ax.imshow([[0, 1]])\n"
        "    save_figure(fig, sys.argv[1])\n"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / seed / "fig")], check=True, env=env)
    for fmt in FIGURE_FORMATS:
        assert (tmp_path / "1" / f"fig.{fmt}").read_bytes() == (tmp_path / "2" / f"fig.{fmt}").read_bytes(), fmt


@pytest.mark.parametrize("module", ["descriptive", "reliability", "diagnostic", "acquisition", "style", "export"])
def test_the_plots_package_exports_every_figure_and_helper(module):
    import importlib

    import hemstats.plots as plots

    names = importlib.import_module(f"hemstats.plots.{module}").__all__
    missing = [n for n in names if n not in plots.__all__ or not hasattr(plots, n)]
    assert not missing, f"hemstats.plots does not export {missing} of hemstats.plots.{module}"
