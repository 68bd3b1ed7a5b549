"""The dbt project, defined once. Its manifest is prepared by `dbt parse` in `make install` (which never opens the
warehouse), not when Python imports this module."""
from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
