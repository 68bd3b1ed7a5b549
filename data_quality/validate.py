"""Validate a staged extract with its Great Expectations suite, in DuckDB (nothing is pulled into pandas).

The suite (data_quality/suites/<dataset>.json) runs against a GX SQL datasource on an in-memory DuckDB whose
query asset reads the staged Parquet files, so every metric is a DuckDB aggregate over the files. Data Docs (under
LAKEHOUSE_HOME/gx: runtime state, not the repo) are built for each validation, or, for the gate's many, once for all
of them (`build_docs`): GX renders the whole site's templates on every build.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from contracts.sql import path_literal

from .gx_duckdb import buffered_duckdb_results
from .suites import SUITES_DIR

SAMPLE_ROWS = 10


@dataclass
class Outcome:
    dataset: str
    success: bool
    evaluated: int
    failures: list[dict] = field(default_factory=list)
    docs_url: str | None = None
    result_id: object = None  # GX's identifier of the validation result (its Data Docs page)

    def summary(self) -> str:
        if self.success:
            return f"{self.dataset}: {self.evaluated} expectations met"
        return f"{self.dataset}: {len(self.failures)} of {self.evaluated} expectations failed: " + "; ".join(
            f"{f['expectation']}({f.get('column') or ''}) observed {f['observed']}" for f in self.failures)


def load_suite(name: str) -> dict:
    return json.loads((SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def row_count_bounds(previous: int | None, tolerance: float | None, allow_empty: bool = False) -> dict:
    """Against the version now current: within ±tolerance. The first version, or a dataset whose count no earlier
    version bounds (tolerance None): at least one row (unless empty is a legitimate state of the dataset)."""
    if previous is None or tolerance is None or (previous == 0 and allow_empty):
        return {"min_row_count": 0 if allow_empty else 1, "max_row_count": None}
    return {"min_row_count": int(previous * (1 - tolerance)), "max_row_count": int(previous * (1 + tolerance)) + 1}


def _observed(result: dict) -> object:
    r = result.get("result") or {}
    if "observed_value" in r:
        return r["observed_value"]
    if "unexpected_count" in r:
        return f"{r['unexpected_count']} unexpected ({r.get('unexpected_percent', 0):.2f}%)"
    info = result.get("exception_info") or {}
    return info.get("exception_message") or next(
        (v.get("exception_message") for v in info.values() if isinstance(v, dict)), None)


def connection_string(config: dict[str, str] | None = None) -> str:
    """The in-memory DuckDB that GX queries, its settings (memory limit, spill directory) in the URL (duckdb-engine
    passes the query's parameters to DuckDB's config)."""
    return "duckdb:///:memory:" + (f"?{urlencode(config)}" if config else "")


def validate(name: str, files_glob: str, parameters: dict, gx_home: Path, docs: bool = True,
             config: dict[str, str] | None = None) -> Outcome:
    """`docs=False`: the Data Docs page (and `docs_url`) is left for `build_docs`, which builds those of several
    validations at once. `config` bounds GX's DuckDB connection (memory limit, spill directory)."""
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    gx_home.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(gx_home))
    # no "Calculating Metrics" bars (tqdm, redrawn with \r) in the run logs: GX passes tqdm's `disable=` itself, so
    # TQDM_DISABLE has no effect. Set on every validation (GX also writes it into gx_home's great_expectations.yml)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    spec = load_suite(name)
    suite = ExpectationSuite(name=name, expectations=[
        ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta", {})).to_domain_obj()
        for e in spec["expectations"]], meta=spec.get("meta", {}))
    suite = context.suites.add_or_update(suite)
    url = connection_string(config)
    try:
        datasource = context.data_sources.get("staged_extracts")
    except (KeyError, ValueError):
        datasource = None
    if datasource is None or str(datasource.connection_string) != url:
        datasource = context.data_sources.add_or_update_sql(name="staged_extracts", connection_string=url)
    asset_name = name
    try:
        datasource.delete_asset(asset_name)
    except (LookupError, ValueError):
        pass
    # GX takes the query as text: the glob goes in as a literal
    asset = datasource.add_query_asset(
        name=asset_name, query=f"select * from read_parquet({path_literal(files_glob)}, hive_partitioning = false)")
    batch = asset.add_batch_definition_whole_table("staged")
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{name}_staged", data=batch, suite=suite))
    checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
        name=f"{name}_gate", validation_definitions=[definition],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")] if docs else [],
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}))
    with buffered_duckdb_results():
        run = checkpoint.run(expectation_parameters=parameters)
    result = next(iter(run.run_results.values()))
    outcome = Outcome(name, bool(result.success), len(result.results))
    for r in result.results:
        if not r.success:
            d = r.to_json_dict()
            outcome.failures.append({
                "expectation": r.expectation_config.type,
                "column": r.expectation_config.kwargs.get("column"),
                "observed": _observed(d),
                "sample": (d.get("result") or {}).get("partial_unexpected_list", [])[:SAMPLE_ROWS],
            })
    outcome.result_id = next(iter(run.run_results))
    urls = context.get_docs_sites_urls(resource_identifier=outcome.result_id)
    outcome.docs_url = urls[0]["site_url"] if urls else None
    return outcome


def build_docs(gx_home: Path, outcomes: list[Outcome]) -> None:
    """The Data Docs pages of these validations (and the site's index), in one build."""
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(gx_home))
    built = [o for o in outcomes if o.result_id is not None]
    context.build_data_docs(resource_identifiers=[o.result_id for o in built])
    for outcome in built:  # GX names a page only once it exists
        urls = context.get_docs_sites_urls(resource_identifier=outcome.result_id)
        outcome.docs_url = urls[0]["site_url"] if urls else None
