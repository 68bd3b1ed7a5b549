"""Where the lakehouse lives: every default derived here, once, from LAKEHOUSE_HOME.

    LAKEHOUSE_HOME          the lake, the build warehouse, the published extracts, runtime state;
                            default: the repository's var/ (whatever the working directory)
    LAKEHOUSE_SOURCES_ROOT  the departments' sources root (read only); default: $LAKEHOUSE_HOME/sources, where
                            `make run` generates the simulator's default data
    SAMR_DB_URL             S1, the registry database; default: samr/samr.db of the sources root when it exists
    DAGSTER_HOME            the Dagster instance; default: $LAKEHOUSE_HOME/dagster
    LAKEHOUSE_LAKE_URL      the lake (raw, bronze, quarantine, the published replica): s3://bucket/prefix on an
                            S3-compatible object store (endpoint and credentials: resources/lake.py); default: the
                            folder $LAKEHOUSE_HOME/lake
    LAKEHOUSE_WAREHOUSE_MEMORY
                            DuckDB's memory limit for the build (dbt) and every other connection of the pipeline
                            (resources/connections.py), e.g. 8GB; default: 4GB, or a quarter of the machine's
                            memory where that is more (DuckDB spills past it; two dbt threads share it)

Values are read when a run starts (never at import). The Makefile, scripts, benchmarks and tests ask this module
instead of deriving them again; `python -m resources.settings home|dagster-home|warehouse-memory|...` answers for
the shell.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb

from contracts.sources import SAMR_SQLITE
from resources import connections
from resources.lake import Lake, configured_url

REPO = Path(__file__).resolve().parents[1]
DEFAULT_HOME = REPO / "var"
# the project's instance configuration (pools, run monitoring, telemetry off), copied into every Dagster home
INSTANCE_CONFIG = REPO / "dagster_home" / "dagster.yaml"


def default_home() -> Path:
    """LAKEHOUSE_HOME (a relative one is taken from the working directory), else the repository's var/."""
    configured = os.environ.get("LAKEHOUSE_HOME")
    return Path(configured).expanduser().resolve() if configured else DEFAULT_HOME


def instance_dir(home: Path) -> Path:
    """The Dagster home of a lakehouse home when DAGSTER_HOME is not set (a tool that starts a process on a fresh home
    leaves DAGSTER_HOME out of its environment and finds the instance here)."""
    return home / "dagster"


class LakehouseSettings(dg.ConfigurableResource):
    """Paths of the lake, the build warehouse and the published extracts, the sources root and the Dagster home."""

    home: str | None = None
    sources_root: str | None = None
    lake_url: str | None = None  # default: LAKEHOUSE_LAKE_URL, else the folder lake/ of the home

    @property
    def home_path(self) -> Path:
        return Path(self.home).resolve() if self.home else default_home()

    @property
    def sources_path(self) -> Path:
        if self.sources_root:
            return Path(self.sources_root).resolve()
        env = os.environ.get("LAKEHOUSE_SOURCES_ROOT")
        return Path(env).resolve() if env else self.home_path / "sources"

    @property
    def sources_configured(self) -> bool:
        """Did the user point at a sources root? Only when not is default data generated (into home/sources)."""
        return bool(self.sources_root or os.environ.get("LAKEHOUSE_SOURCES_ROOT"))

    @property
    def samr_sqlite(self) -> Path:
        """Where the sources root would hold S1 as a SQLite file."""
        return self.sources_path / SAMR_SQLITE

    def samr_url(self) -> str | None:
        """S1: SAMR_DB_URL, else the SQLite file of the sources root when there is one, else None (no registry)."""
        configured = dg.EnvVar("SAMR_DB_URL").get_value()
        if configured:
            return configured
        return f"sqlite:///{self.samr_sqlite}" if self.samr_sqlite.is_file() else None

    @property
    def dagster_home(self) -> Path:
        configured = os.environ.get("DAGSTER_HOME")
        return Path(configured).expanduser().resolve() if configured else instance_dir(self.home_path)

    @property
    def lake(self) -> Lake:
        """The lake's storage (resources/lake.py): a folder, or a bucket and prefix of an object store."""
        return Lake.at(self.lake_url or configured_url(self.home_path))

    @property
    def warehouse_path(self) -> Path:
        return self.home_path / "warehouse.duckdb"

    @property
    def published_path(self) -> Path:
        return self.home_path / "published"

    @property
    def dbt_results_path(self) -> Path:
        """The last dbt build's run_results.json and manifest.json, kept for operators and the benchmark."""
        return self.home_path / "dbt"

    @property
    def warehouse_memory(self) -> str:
        """DuckDB's memory limit for the build (dbt's profile reads it) and every other connection of the pipeline:
        LAKEHOUSE_WAREHOUSE_MEMORY, else the default for this machine (resources/connections.py)."""
        return connections.warehouse_memory()

    @property
    def spill_path(self) -> Path:
        """Where DuckDB connections other than the build's spill past their memory limit (the build's own spills
        next to the warehouse, in warehouse.duckdb.tmp)."""
        return self.home_path / "tmp" / "duckdb"

    def duckdb_config(self, memory_limit: str | None = None, **options: object) -> dict[str, object]:
        """A DuckDB connection of this home (the gate's staging, GX, the PII scan, the landing): the build's memory
        limit unless told, spilling into `spill_path`."""
        return connections.bounded(self.spill_path, memory_limit or self.warehouse_memory, **options)

    def connect(self, database: Path | str = ":memory:", read_only: bool = False,
                **options: object) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection configured by duckdb_config()."""
        return connections.connect(database, config=self.duckdb_config(**options), read_only=read_only)

    def dbt_environment(self) -> dict[str, str]:
        """What dbt's profile and sources read with `env_var`: this home, the lake and the build's memory limit."""
        return {"LAKEHOUSE_HOME": str(self.home_path), "LAKEHOUSE_LAKE": self.lake.uri(),
                "LAKEHOUSE_WAREHOUSE_MEMORY": self.warehouse_memory}

    def exported(self) -> contextlib.AbstractContextManager[None]:
        """`dbt_environment` set while dbt is invoked in this process, then put back as it was."""
        return environment(self.dbt_environment())


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """These variables set in this process's environment for a block, then put back as they were."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# the instance's storage in PostgreSQL (dagster-postgres): runs, event logs, schedules and the pool's slots. The URL
# may hold a password: dagster.yaml names the variable, Dagster reads it from the environment of each process
DAGSTER_PG_ENV = "LAKEHOUSE_DAGSTER_PG_URL"
POSTGRES_STORAGE = f"""
# {DAGSTER_PG_ENV} is set: the instance's storage is PostgreSQL (written by resources/settings.py)
storage:
  postgres:
    postgres_url:
      env: {DAGSTER_PG_ENV}
"""


def instance_config() -> str:
    """The project's dagster.yaml, with PostgreSQL storage when LAKEHOUSE_DAGSTER_PG_URL is set (else SQLite files in
    the Dagster home)."""
    text = INSTANCE_CONFIG.read_text(encoding="utf-8")
    return text + POSTGRES_STORAGE if os.environ.get(DAGSTER_PG_ENV, "").strip() else text


def prepare_dagster_home(home: Path) -> Path:
    """The project's instance at `home`: its dagster.yaml (written when missing or not what the project's and the
    environment make it) and its storage, created (migrated) then, before any run or UI starts (two starting
    together on an empty instance race on creating its schema)."""
    config = home / "dagster.yaml"
    wanted = instance_config()
    if config.is_file() and config.read_text(encoding="utf-8") == wanted:
        return home
    home.mkdir(parents=True, exist_ok=True)
    config.write_text(wanted, encoding="utf-8")
    # the migration prints its progress on an empty instance: nothing a user needs to read
    with dg.DagsterInstance.from_config(str(home)) as instance, contextlib.redirect_stdout(io.StringIO()):
        instance.upgrade()
    return home


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resources.settings", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["home", "sources-root", "lake", "dagster-home", "prepare-dagster-home",
                                            "warehouse-memory"])
    args = parser.parse_args(argv)
    settings = LakehouseSettings()
    if args.command == "home":
        print(settings.home_path)
    elif args.command == "sources-root":
        print(settings.sources_path)
    elif args.command == "lake":
        print(settings.lake.uri())
    elif args.command == "dagster-home":
        print(settings.dagster_home)
    elif args.command == "warehouse-memory":
        print(settings.warehouse_memory)
    else:
        print(prepare_dagster_home(settings.dagster_home))
    return 0


if __name__ == "__main__":
    sys.exit(main())
