"""Dagster resources, below `assets/`: where the lakehouse lives (`settings`) and how the department systems are
reached (`systems`)."""
