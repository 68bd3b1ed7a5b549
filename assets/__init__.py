"""Asset definitions by layer: landing (bronze), dbt (staging, resolution, marts), quality, publication."""
