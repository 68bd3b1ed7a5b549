"""The measurement behind the choice of scorer for the ladder's last rung (docs/resolution_scoring.md)."""
from __future__ import annotations

import pytest

from benchmarks.scoring_comparison import compare


# The comparison script scores a replica of the scored rung as it was before 2026-12-01: without the checks the
# ladder now makes before any name link (a valid USCC the registry lacks never links by name; a candidate whose own
# divisions the record contradicts is never proposed), so on the new simulator's namesakes the replica links what the
# ladder refuses (precision 18.5% on the residual, against 100.00% for the ladder itself, measured by
# links_match_ground_truth and make bench). Until the script replays the ladder's candidate rules, it measures nothing.
@pytest.mark.xfail(run=False, reason="benchmarks/scoring_comparison.py replicates the pre-division-check scored rung")
def test_our_scorer_is_at_least_as_good_as_splink(default_warehouse):
    root, home, _ = default_warehouse
    results = compare(home, root / "_truth" / "source_records.parquet")
    for record_set, rows in results.items():
        ours = next(r for r in rows if r["method"].endswith("(configured)"))
        splink = [r for r in rows if r["method"].startswith("splink_")]
        assert len(splink) == 6 and ours["records"] > 0
        assert ours["precision"] >= 0.995, record_set
        # Splink's best reading of the same records (any training, any decision rule) is no more accurate
        best = max(splink, key=lambda r: (r["correct"], -(r["linked"] - r["correct"])))
        assert ours["precision"] >= best["precision"] - 0.001, (record_set, best)
    name_only = results["name_only"]
    assert next(r for r in name_only if r["method"].endswith("(configured)"))["recall"] >= 0.9
