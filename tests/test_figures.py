"""Honest figures: what README.md and docs/resolution.md quote of quality, time and memory is generated from the
results files in the repo, and no such figure stands outside the generated blocks."""
from __future__ import annotations

import re

import pytest

from benchmarks import figures


@pytest.mark.parametrize("path, renderer", figures.BLOCKS, ids=lambda x: getattr(x, "name", ""))
def test_figures_are_the_newest_results(path, renderer):
    text = path.read_text(encoding="utf-8")
    block = text[text.index(figures.START):text.index(figures.END) + len(figures.END)]
    assert block == renderer(figures.latest_results()), "run: python -m benchmarks.figures"


@pytest.mark.parametrize("path", [p for p, _ in figures.BLOCKS], ids=lambda p: p.name)
def test_no_hand_typed_measurement_outside_the_block(path):
    text = path.read_text(encoding="utf-8")
    outside = text[:text.index(figures.START)] + text[text.index(figures.END):]
    measured = re.findall(r"\d+\.\d+ ?%|\d+(?:\.\d+)? ?(?:s|ms|GB(?!/)|MiB|GiB)\b(?! *\()|\d+ m \d+ s", outside)
    assert measured == [], f"figures typed by hand in {path.name}: {measured}"
