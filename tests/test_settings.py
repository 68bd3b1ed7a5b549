"""resources/settings.py: every default derived once, from LAKEHOUSE_HOME, whatever the working directory."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from resources import connections
from resources.connections import warehouse_memory
from resources.settings import INSTANCE_CONFIG, LakehouseSettings, prepare_dagster_home

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"


@pytest.fixture()
def nothing_set(monkeypatch, tmp_path):
    """No setting exported, and a working directory that is not the repository."""
    for name in ("LAKEHOUSE_HOME", "LAKEHOUSE_SOURCES_ROOT", "SAMR_DB_URL", "DAGSTER_HOME",
                 "LAKEHOUSE_WAREHOUSE_MEMORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_with_nothing_set_everything_is_under_the_repositorys_var(nothing_set):
    settings = LakehouseSettings()
    var = REPO / "var"
    assert (settings.home_path, settings.sources_path, settings.dagster_home) == (var, var / "sources", var / "dagster")
    assert not settings.sources_configured
    # the shell (the Makefile) gets the same answers from any folder
    out = subprocess.run([sys.executable, "-m", "resources.settings", "dagster-home"], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == str(var / "dagster")


def test_everything_follows_lakehouse_home(nothing_set, monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEHOUSE_HOME", "home")  # a relative home is taken from the working directory
    settings = LakehouseSettings()
    home = tmp_path / "home"
    assert (settings.home_path, settings.sources_path, settings.dagster_home, settings.warehouse_path) == (
        home, home / "sources", home / "dagster", home / "warehouse.duckdb")
    assert settings.samr_url() is None  # no registry in the root
    (home / "sources" / "samr").mkdir(parents=True)
    (home / "sources" / "samr" / "samr.db").touch()
    assert settings.samr_url() == f"sqlite:///{home / 'sources' / 'samr' / 'samr.db'}"


def test_what_is_configured_wins(nothing_set, monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEHOUSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAKEHOUSE_SOURCES_ROOT", str(tmp_path / "department"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "instance"))
    monkeypatch.setenv("SAMR_DB_URL", "postgresql://reader@db/samr")
    settings = LakehouseSettings()
    assert settings.sources_configured and settings.sources_path == tmp_path / "department"
    assert settings.dagster_home == tmp_path / "instance"
    assert settings.samr_url() == "postgresql://reader@db/samr"
    # a resource's own values (tests, one run's config) come before the environment's
    mine = LakehouseSettings(home=str(tmp_path / "mine"), sources_root=str(tmp_path / "root"))
    assert (mine.home_path, mine.sources_path) == (tmp_path / "mine", tmp_path / "root")


def test_dbt_sees_the_home_and_memory_only_while_they_are_exported(nothing_set, monkeypatch, tmp_path):
    with LakehouseSettings(home=str(tmp_path)).exported():
        assert os.environ["LAKEHOUSE_HOME"] == str(tmp_path)
        assert os.environ["LAKEHOUSE_WAREHOUSE_MEMORY"] == warehouse_memory()
    assert "LAKEHOUSE_HOME" not in os.environ and "LAKEHOUSE_WAREHOUSE_MEMORY" not in os.environ
    monkeypatch.setenv("LAKEHOUSE_WAREHOUSE_MEMORY", "900MB")
    with LakehouseSettings(home=str(tmp_path)).exported():
        assert os.environ["LAKEHOUSE_WAREHOUSE_MEMORY"] == "900MB"
    assert os.environ["LAKEHOUSE_WAREHOUSE_MEMORY"] == "900MB"  # put back as it was


def test_the_builds_memory_grows_with_the_machine_from_4gb(nothing_set):
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = warehouse_memory()
    assert limit.endswith("GB") and int(limit[:-2]) == max(4, physical // 4 // 2**30)
    out = subprocess.run([sys.executable, "-m", "resources.settings", "warehouse-memory"], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == limit


def test_dbt_builds_under_the_memory_limit_it_is_given(nothing_set, monkeypatch, tmp_path):
    """The profile reads the limit: DuckDB, asked by dbt, reports what was exported."""
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("LAKEHOUSE_WAREHOUSE_MEMORY", "700MB")
    with LakehouseSettings(home=str(tmp_path)).exported():
        result = dbtRunner().invoke(["show", "--inline", "select current_setting('memory_limit') as memory_limit",
                                     "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
                                     "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path),
                                     "--output", "json", "--quiet"])
    assert result.success, result.exception
    assert result.result.results[0].agate_table.rows[0][0] in ("667.5 MiB", "700.0 MB")


def test_the_dagster_home_is_prepared_once(tmp_path):
    home = prepare_dagster_home(tmp_path / "dagster")
    config = home / "dagster.yaml"
    assert config.read_text(encoding="utf-8") == INSTANCE_CONFIG.read_text(encoding="utf-8")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs() == []  # the storage exists
    before = config.stat().st_mtime_ns
    assert prepare_dagster_home(home) == home and config.stat().st_mtime_ns == before  # current: left alone
    config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")  # an older project's: written again
    prepare_dagster_home(home)
    assert config.read_text(encoding="utf-8") == INSTANCE_CONFIG.read_text(encoding="utf-8")


def test_with_a_postgres_url_the_instance_lives_in_postgresql(tmp_path, monkeypatch):
    """LAKEHOUSE_DAGSTER_PG_URL moves runs, events and the pool's slots into PostgreSQL (dagster-postgres); the URL
    stays in the environment, never in dagster.yaml. Unset again, the home goes back to its SQLite files."""
    from tests.pg import fresh_database

    with fresh_database("lakehouse_instance") as url:
        monkeypatch.setenv("LAKEHOUSE_DAGSTER_PG_URL", url)
        home = prepare_dagster_home(tmp_path / "dagster")
        text = (home / "dagster.yaml").read_text(encoding="utf-8")
        assert "env: LAKEHOUSE_DAGSTER_PG_URL" in text and url not in text
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            run = instance.create_run_for_job(dg.GraphDefinition("nothing").to_job())
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect() as con:
            assert con.execute(sa.text("select run_id from runs")).scalars().all() == [run.run_id]
        engine.dispose()
        assert not list(home.glob("**/*.db"))  # no SQLite storage beside it
        monkeypatch.delenv("LAKEHOUSE_DAGSTER_PG_URL")
        prepare_dagster_home(home)
        assert (home / "dagster.yaml").read_text(encoding="utf-8") == INSTANCE_CONFIG.read_text(encoding="utf-8")


def test_a_duckdb_connection_of_the_home_is_bounded_and_spills_into_the_home(nothing_set, monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEHOUSE_WAREHOUSE_MEMORY", "300MB")
    settings = LakehouseSettings(home=str(tmp_path / "home"))
    with settings.connect() as con:
        limit, spill = con.execute("select current_setting('memory_limit'), "
                                   "current_setting('temp_directory')").fetchone()
    assert limit == "286.1 MiB" and spill == str(tmp_path / "home" / "tmp" / "duckdb")
    assert (tmp_path / "home" / "tmp" / "duckdb").is_dir()
    with settings.connect(memory_limit="100MB") as con:
        assert con.execute("select current_setting('memory_limit')").fetchone() == ("95.3 MiB",)
    with pytest.raises(ValueError, match="memory_limit and temp_directory"):
        connections.connect(config={})
    with pytest.raises(ValueError, match="temp_directory"):
        connections.connect(config={"memory_limit": "1GB"})
