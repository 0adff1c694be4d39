"""The metrics directory the gateway's workers share (services/gateway/workers.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.gateway.workers import metrics_directory
from shared.observability import MULTIPROCESS_DIRECTORY


def test_a_directory_of_its_own_lives_as_long_as_the_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MULTIPROCESS_DIRECTORY, raising=False)
    with metrics_directory() as directory:
        assert os.environ[MULTIPROCESS_DIRECTORY] == str(directory)
        assert directory.is_dir() and not any(directory.iterdir())
    assert not directory.exists()
    assert MULTIPROCESS_DIRECTORY not in os.environ


def test_the_operators_directory_starts_without_an_earlier_runs_values(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "counter_123.db").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("kept")
    monkeypatch.setenv(MULTIPROCESS_DIRECTORY, str(tmp_path))
    with metrics_directory() as directory:
        assert directory == tmp_path
        assert sorted(path.name for path in directory.iterdir()) == ["notes.txt"]
    assert tmp_path.is_dir()
