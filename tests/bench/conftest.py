"""The benchmarks reuse the stack tests' fixtures for the services they measure."""

from tests.integration.test_docgen_service import docgen, seed  # noqa: F401
