"""dbt in DuckDB: staging, resolution (企业码) and marts, as Dagster assets."""
