"""Real Estate OS common library: settings, events, Kafka, database and observability."""
