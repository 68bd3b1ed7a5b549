"""Landing (bronze): every department's deliveries in Parquet, typed, with nothing lost."""
