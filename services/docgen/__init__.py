"""docgen: renders PDF property packets from scores and stores them in object storage."""
