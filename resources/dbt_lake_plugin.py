"""dbt-duckdb plugin (profiles.yml, `plugins`): lets the build's DuckDB connections read a lake on an object store.

dbt's sources read bronze at `env_var('LAKEHOUSE_LAKE')` (exported by resources/settings.py); when that is an s3://
URL, every connection dbt opens gets pyarrow's S3 client registered for it (resources/lake.py)."""
from __future__ import annotations

import os

from dbt.adapters.duckdb.plugins import BasePlugin

from resources.lake import Lake


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        url = os.environ.get("LAKEHOUSE_LAKE", "")
        if url.startswith("s3://"):
            Lake.at(url).register_with(conn)
