"""A real vLLM OpenAI-compatible server for tests (the "real model-server tier").

`VllmServer` runs scripts/vllm_tier/serve (the CPU build of vLLM in .vllm-venv) on a free local
port, in its own process group, logging to a file. It serves one of the tier's two models:
- "tiny" (default): the random-weight 2-layer Llama, for tests of plumbing and speed; its
  text is noise;
- "smollm2": SmolLM2-135M-Instruct, the real instruct model, for tests of what answers say.
Either way its LoRA adapter is served as "support". Building .vllm-venv and the models is
scripts/vllm_tier/setup's job; it runs here only when something is missing.

Typical use (tests/vllm_tier/conftest.py provides a session-scoped, started one):

    server = VllmServer(log_dir)          # or VllmServer(log_dir, model="smollm2")
    server.start()
    server.wait_ready()
    ... httpx/OpenAI client against server.base_url ...
    server.kill()      # SIGKILL: the server dies, e.g. in the middle of a stream
    server.restart()   # same port, waits until /health answers again
    server.stop()
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import httpx

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "scripts" / "vllm_tier" / "setup"
SERVE = REPO / "scripts" / "vllm_tier" / "serve"
VENV_PYTHON = REPO / ".vllm-venv" / "bin" / "python"
TIER = REPO / "var" / "vllm-tier"
REQUIRED_FILES = {
    "tiny": (VENV_PYTHON, TIER / "model" / "config.json", TIER / "adapter" / "adapter_config.json"),
    "smollm2": (
        VENV_PYTHON,
        TIER / "smollm2" / "manifest.json",
        TIER / "smollm2" / "lora" / "adapter_config.json",
    ),
}

BASE_MODEL = "tiny"
REAL_MODEL = "smollm2"
ADAPTER_MODEL = "support"


class VllmServerError(RuntimeError):
    """The server could not be set up, died, or did not become ready."""


def ensure_setup(model: str = BASE_MODEL) -> None:
    """Run scripts/vllm_tier/setup if the venv or the model is missing (minutes the first time)."""
    required = REQUIRED_FILES[model]
    if all(path.exists() for path in required):
        return
    result = subprocess.run(
        ["bash", str(SETUP)], cwd=REPO, capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not all(path.exists() for path in required):
        output = (result.stdout + result.stderr)[-4000:]
        raise VllmServerError(f"scripts/vllm_tier/setup failed ({result.returncode}):\n{output}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _group_pids(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group `pgid`, read from /proc (Linux)."""
    pids: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after the last ")".
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            pids.append(int(entry.name))
    return pids


def _is_resource_tracker(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"multiprocessing.resource_tracker" in cmdline


class VllmServer:
    """One vLLM server process group on 127.0.0.1; see the module docstring."""

    def __init__(self, log_dir: Path, port: int | None = None, model: str = BASE_MODEL) -> None:
        if model not in REQUIRED_FILES:
            raise ValueError(f"unknown tier model {model!r} (known: {', '.join(REQUIRED_FILES)})")
        self.served = model
        self.log_dir = log_dir
        self.port = port if port is not None else free_port()
        self.log_path = log_dir / "vllm-server.log"
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None

    # -- addresses -------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        """http://127.0.0.1:PORT (where /health and /metrics live)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible API root, http://127.0.0.1:PORT/v1."""
        return f"{self.root_url}/v1"

    @property
    def model(self) -> str:
        """The base model's served name ("tiny" or "smollm2")."""
        return self.served

    @property
    def adapter(self) -> str:
        """The LoRA adapter's served name (use it as the request's model)."""
        return ADAPTER_MODEL

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the server (does not wait: call wait_ready). Runs setup first if needed."""
        if self.running:
            raise VllmServerError(f"already running (pid {self.pid})")
        self._reap()
        ensure_setup(self.served)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        env = dict(os.environ, PORT=str(self.port))
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts} on port {self.port} =====\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                ["bash", str(SERVE), self.served],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop/kill reach vLLM's children
            )

    def wait_ready(self, timeout: float = 240) -> float:
        """Poll GET /health until 200; return the seconds waited. Raises with the log's tail."""
        if self._process is None:
            raise VllmServerError("not started")
        began = time.monotonic()
        deadline = began + timeout
        with httpx.Client(trust_env=False, timeout=2.0) as client:
            while True:
                code = self._process.poll()
                if code is not None:
                    raise VllmServerError(
                        f"vLLM server exited with {code} before it was ready; log tail:\n"
                        + self.log_tail()
                    )
                try:
                    if client.get(f"{self.root_url}/health").status_code == 200:
                        return time.monotonic() - began
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise VllmServerError(
                        f"vLLM server not ready after {timeout:.0f} s; log tail:\n"
                        + self.log_tail()
                    )
                time.sleep(0.25)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the process group; SIGKILL whatever is left after `grace` seconds."""
        process = self._process
        if process is None:
            return
        pgid = process.pid
        self._signal_group(pgid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal_group(pgid, signal.SIGKILL)
            process.wait()
        self._wait_group_gone(pgid, grace)
        self._kill_leftovers(pgid)
        self._process = None

    def kill(self) -> None:
        """Kill the server now (SIGKILL, no shutdown): a crash as its clients see it.

        Open connections (a stream in progress) drop at once. vLLM's engine and worker
        processes are SIGKILLed too; only multiprocessing's resource tracker is spared, so that
        it unlinks the shared memory the killed processes leave in /dev/shm.
        """
        process = self._process
        if process is None:
            return
        pgid = process.pid
        try:
            os.kill(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        if Path("/proc").is_dir():
            for pid in _group_pids(pgid):
                if not _is_resource_tracker(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            self._wait_group_gone(pgid, 5.0)
        self._kill_leftovers(pgid)
        self._process = None

    def restart(self, timeout: float = 240) -> float:
        """Stop the server if it still runs, start it on the same port, wait until ready."""
        self.stop()
        self.start()
        return self.wait_ready(timeout)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> VllmServer:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- helpers ---------------------------------------------------------------------------

    def _reap(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            # It died on its own (or was killed elsewhere): clear what is left of its group.
            self._kill_leftovers(self._process.pid)
            self._process = None

    @staticmethod
    def _signal_group(pgid: int, sig: signal.Signals) -> None:
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    @staticmethod
    def _kill_leftovers(pgid: int) -> None:
        """SIGKILL what is left of the group (on Linux only if something is: no pgid reuse)."""
        if not Path("/proc").is_dir() or _group_pids(pgid):
            VllmServer._signal_group(pgid, signal.SIGKILL)

    @staticmethod
    def _wait_group_gone(pgid: int, timeout: float) -> None:
        if not Path("/proc").is_dir():
            return
        deadline = time.monotonic() + timeout
        while _group_pids(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
