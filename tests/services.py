"""Running the platform's services as separate OS processes, for tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from shared.settings import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    def __init__(self, module: str, port: int, log_dir: Path, env: dict[str, str]) -> None:
        self.module = module
        self.port = port
        self.name = module.rsplit(".", 1)[-1]
        self.log_path = log_dir / f"{self.name}-{port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                *(["--port", str(port)] if self.name == "demo_site" else []),
            ],
            cwd=REPO_ROOT,
            env={**env, "REOS_HTTP_PORT": str(port)},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str = "/readyz", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.module} exited:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + path, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.module} not ready after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@contextmanager
def running_services(
    modules: list[str], log_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[dict[str, ServiceProcess]]:
    """Start each module as its own process on a free port; stop them all afterwards."""
    env = {**os.environ, "REOS_STARTUP_WAIT_SECONDS": "30", **(extra_env or {})}
    started: dict[str, ServiceProcess] = {}
    try:
        for module in modules:
            process = ServiceProcess(module, free_port(), log_dir, env)
            started[process.name] = process
        for process in started.values():
            process.wait_ready("/healthz" if process.name == "demo_site" else "/readyz")
        yield started
    finally:
        for process in started.values():
            process.stop()
