"""The Dagster code location: assembles definitions from `assets/`; computes nothing itself."""
