"""Declarations, below every other layer: what the departments deliver (`sources`) and what the lakehouse publishes
(`published`). Plain data: they import nothing of the project, and everything above reads them."""
