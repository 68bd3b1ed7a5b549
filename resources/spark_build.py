"""The dbt project built on Spark (dbt-spark, the `spark` target of dbt_project/profiles.yml) from the same bronze
Parquet as the DuckDB build: every seed and model, staging to marts (docs/spark.md).

    python -m resources.spark_build                 # the configured home's lake; tables under $LAKEHOUSE_HOME/spark
    python -m resources.spark_build --target spark_thrift   # a cluster's Thrift server instead of a local session

dbt-spark and PySpark live in their own virtual environment (`make spark`: .venv-spark, or LAKEHOUSE_SPARK_VENV):
PySpark in the pipeline's environment changes how Great Expectations starts. So this runs that environment's dbt as
a subprocess and exits with its code.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from resources import rule_tables
from resources.settings import LakehouseSettings

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "dbt_project"


def spark_venv() -> Path:
    return Path(os.environ.get("LAKEHOUSE_SPARK_VENV") or ROOT / ".venv-spark")


def spark_home(settings: LakehouseSettings) -> Path:
    """Where the local session keeps its tables (warehouse/<schema>.db/<table>), metastore, dbt target and logs."""
    return settings.home_path / "spark"


def table_path(settings: LakehouseSettings, schema: str, table: str) -> Path:
    """The folder of Parquet files of one table the local session built."""
    return spark_home(settings) / "warehouse" / f"{schema}.db" / table


def command(settings: LakehouseSettings, target: str = "spark", extra: list[str] | None = None,
            select: str | None = None, tests: bool = True) -> list[str]:
    dbt = spark_venv() / "bin" / "dbt"
    if not dbt.exists():
        raise FileNotFoundError(f"{dbt}: dbt-spark is not installed (run `make spark`, or set LAKEHOUSE_SPARK_VENV to "
                                "a virtual environment holding dbt-spark[session] and pyspark)")
    home = spark_home(settings)
    nodes = ["--select", select] if select else []
    # the data tests too, unless left out (the engine comparison checks the tables against DuckDB's, tested build);
    # the unit tests are the models' logic, run on DuckDB by `make test` (tests/transform/test_dbt_unit_tests.py)
    kinds = ["model", "seed", *(["test"] if tests else [])]
    return [str(dbt), "build", "--target", target, *nodes, *(f for kind in kinds for f in ("--resource-type", kind)),
            "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
            "--target-path", str(home / "target"), "--log-path", str(home / "logs"), *(extra or [])]


def environment(settings: LakehouseSettings) -> dict[str, str]:
    return {**os.environ, **settings.dbt_environment(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1",
            # Spark binds its driver to the host's name unless told: 127.0.0.1 keeps it local
            "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1")}


def build(settings: LakehouseSettings, target: str = "spark", extra: list[str] | None = None,
          log: Path | None = None, select: str | None = None, tests: bool = True) -> int:
    """dbt build on Spark (every model and seed, or `select`); its output (Spark's own log lines included) to `log`,
    else to this process's. The policy and alert-rule files are written into the lake first, as the DuckDB build
    does (a malformed file: RuleFileError, before Spark starts)."""
    cmd = command(settings, target, extra, select, tests)  # no Spark environment: nothing written
    rule_tables.write(settings.lake)
    spark_home(settings).mkdir(parents=True, exist_ok=True)
    if log is None:
        return subprocess.run(cmd, env=environment(settings), check=False).returncode
    with log.open("w", encoding="utf-8") as out:
        return subprocess.run(cmd, env=environment(settings), stdout=out, stderr=subprocess.STDOUT,
                              check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resources.spark_build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="spark", choices=["spark", "spark_thrift"])
    parser.add_argument("--no-tests", action="store_true", help="models and seeds only, without the data tests")
    args, extra = parser.parse_known_args(argv)
    try:
        return build(LakehouseSettings(), args.target, extra, tests=not args.no_tests)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    except rule_tables.RuleFileError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
