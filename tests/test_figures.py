"""Honest figures: what README.md quotes of quality, time and memory is generated from the results files in the
repo, and no such figure stands outside the generated block."""
from __future__ import annotations

import re

from benchmarks import figures


def test_readme_figures_are_the_newest_results():
    text = figures.README.read_text(encoding="utf-8")
    block = text[text.index(figures.START):text.index(figures.END) + len(figures.END)]
    assert block == figures.render(figures.latest_results()), "run: python -m benchmarks.figures"


def test_no_hand_typed_measurement_outside_the_block():
    text = figures.README.read_text(encoding="utf-8")
    outside = text[:text.index(figures.START)] + text[text.index(figures.END):]
    measured = re.findall(r"\d+\.\d+ ?%|\d+(?:\.\d+)? ?(?:s|ms|GB|MiB|GiB)\b(?! *\()|\d+ m \d+ s", outside)
    assert measured == [], f"figures typed by hand in README.md: {measured}"
