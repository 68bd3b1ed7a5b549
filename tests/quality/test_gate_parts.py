"""The gate's parts on real files: the GX-on-DuckDB workaround, the suites, the PII scan."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from assets.publish import pii
from data_quality import suites
from data_quality.gx_duckdb import buffered_duckdb_results
from data_quality.validate import build_docs, connection_string, row_count_bounds, validate
from resources import connections


def _validate_plainly(parquet: str, buffered: bool):
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(name="duck", connection_string="duckdb:///:memory:")
    batch = source.add_query_asset(name="t", query=f"select * from read_parquet('{parquet}')") \
        .add_batch_definition_whole_table("all")
    suite = context.suites.add(gx.ExpectationSuite(name="s", expectations=[
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=1, max_value=10),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="id")]))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name="v", data=batch, suite=suite))
    if buffered:
        with buffered_duckdb_results():
            return definition.run()
    return definition.run()


def test_gx_on_duckdb_needs_the_workaround(tmp_path):
    """When this test's first assertion fails, GX or duckdb-engine has fixed the bug: delete gx_duckdb.py."""
    parquet = tmp_path / "t.parquet"
    duckdb.connect().execute(f"copy (select range as id from range(5)) to '{parquet}'")
    plain = _validate_plainly(str(parquet), buffered=False)
    assert not plain.success and "list index out of range" in json.dumps(plain.to_json_dict())
    fixed = _validate_plainly(str(parquet), buffered=True)
    assert fixed.success and fixed.results[0].result["observed_value"] == 5


def test_suites_in_the_repo_match_their_declaration():
    for name, content in suites.generate().items():
        on_disk = json.loads((suites.SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))
        assert on_disk == content, f"data_quality/suites/{name}.json is stale: run python -m data_quality.suites"


def test_a_suite_names_what_failed_with_samples(tmp_path):
    folder = tmp_path / "mu"
    folder.mkdir()
    duckdb.connect().execute(f"""copy (select 'QY0001' as enterprise_code, 2025 as fiscal_year, 'above_scale' as scope,
                      cast(10 as double) as industrial_land_mu, 1.0 as tax_per_mu_yuan, 1.0 as value_added_per_mu_yuan,
                      1.0 as value_added_per_tce_yuan, 1.0 as value_added_per_emission_t_yuan,
                      1.0 as labour_productivity_yuan, 0.1 as rd_intensity, 1.0 as tax_per_kwh_yuan,
                      cast(150 as double) as total_score, 0.5 as rank_share, 'E' as evaluation_class)
                   to '{folder}/part-0.parquet'""")
    outcome = validate("mu_efficiency", str(folder / "*.parquet"), row_count_bounds(None, 0.2, True), tmp_path / "gx")
    failed = {(f["expectation"], f["column"]) for f in outcome.failures}
    assert ("expect_column_values_to_be_in_set", "evaluation_class") in failed
    assert ("expect_column_values_to_be_between", "total_score") in failed
    assert ("unexpected_rows_expectation", None) in failed  # the 企业码 format: QY + 9 digits + check character
    sample = next(f["sample"] for f in outcome.failures if f["column"] == "evaluation_class")
    assert sample == ["E"]
    assert outcome.docs_url and outcome.docs_url.startswith("file://")
    assert Path(outcome.docs_url.removeprefix("file://")).is_file()

    # the gate's way: its validations first, then their Data Docs in one build, which names each page
    later = validate("mu_efficiency", str(folder / "*.parquet"), row_count_bounds(None, 0.2, True), tmp_path / "gx",
                     docs=False)
    assert later.failures and later.docs_url is None
    build_docs(tmp_path / "gx", [later])
    assert later.docs_url and later.docs_url != outcome.docs_url
    assert Path(later.docs_url.removeprefix("file://")).is_file()

    # the gate bounds GX's DuckDB as it does its own connections (a province's extracts: hundreds of millions of rows)
    import great_expectations as gx
    import sqlalchemy as sa

    config = {"memory_limit": "1GiB", "temp_directory": str(tmp_path / "spill here")}
    with sa.create_engine(connection_string(config)).connect() as c:
        assert tuple(c.execute(sa.text("select current_setting('memory_limit'), current_setting('temp_directory')"))
                     .one()) == ("1.0 GiB", config["temp_directory"])
    bounded = validate("mu_efficiency", str(folder / "*.parquet"), row_count_bounds(None, 0.2, True), tmp_path / "gx",
                       docs=False, config=config)
    assert {(f["expectation"], f["column"]) for f in bounded.failures} == failed
    source = gx.get_context(mode="file", project_root_dir=str(tmp_path / "gx")).data_sources.get("staged_extracts")
    assert str(source.connection_string) == connection_string(config) != connection_string()


def id_number(body: str) -> str:
    return body + pii.ID_CHECK[sum(int(d) * w for d, w in zip(body, pii.ID_WEIGHTS, strict=True)) % 11]


def test_pii_scan_finds_personal_data_and_only_that(tmp_path):
    person = id_number("11010519491231002")
    wrong_check = person[:-1] + ("0" if person[-1] != "0" else "1")
    duckdb.connect().execute(f"""copy (select * from (values
            ('91440300MA5FXXXX0X', '深圳市某某科技有限公司', 'a1b2c3d4138123456789ff', '联系人 {person}'),
            ('914419000113264879', '东莞市某某电子有限公司 电话13812345678', 'x', '{wrong_check}'),
            ('914419000113264880', '某某厂', 'x', '0769-22345678 转总机'))
            as t(uscc, name, hash_key, note)) to '{tmp_path}/part-0.parquet'""")
    findings = pii.scan(tmp_path, connections.bounded(None, "256MB"))
    found = {(f.column, f.kind) for f in findings}
    assert found == {("note", "resident ID number"), ("name", "mobile phone number"),
                     ("note", "landline phone number")}, found
    for f in findings:  # the report itself never shows what it found
        assert person not in " ".join(f.samples) and "13812345678" not in " ".join(f.samples)
    duckdb.connect().execute(f"copy (select 'x' as TEL, 1 as n) to '{tmp_path / 'cols'}.parquet'")
    (tmp_path / "only_cols").mkdir()
    duckdb.connect().execute(
        f"copy (select 'x' as CERNO, 'y' as legal_representative) to '{tmp_path / 'only_cols'}/p.parquet'")
    found = pii.scan(tmp_path / "only_cols", connections.bounded(None, "256MB"))
    assert {f.column for f in found} == {"CERNO", "legal_representative"}


# a dataset whose count no earlier version bounds (tolerance None: the policy matches) needs a row, no more
@pytest.mark.parametrize("previous,tolerance,expected", [(None, 0.2, (1, None)), (1000, 0.2, (800, 1201)),
                                                         (1000, None, (1, None))])
def test_row_count_bounds(previous, tolerance, expected):
    b = row_count_bounds(previous, tolerance)
    assert (b["min_row_count"], b["max_row_count"]) == expected
