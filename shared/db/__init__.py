"""Database plumbing: the table definitions every service reads, engine and sessions."""
