"""The Dagster code location, the top layer: the definitions, jobs, schedules and sensors assembled from `assets/`."""
