"""The production deployment: docker-compose.yml, .env.example and the ingest lock.

No Docker engine runs here: the compose file is validated by Debian's `docker-compose`
(`config` interpolates .env and checks the file against the Compose specification without an
engine; scripts/install --dev installs it as root), and its properties are checked in Python.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.doors.ingest_lock import ingest_lock
from app.ground.config import Settings
from app.ground.envfile import MARKER, setting_variables, with_settings_block
from app.ground.errors import AppError

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
# ${NAME}, ${NAME:-default}, ${NAME:?message}; `$$` is an escaped dollar, not a variable.
_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?][^}]*)?\}")
_SECRET_KEY = re.compile(r"PASSWORD|API_KEY|SECRET|TOKEN")


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _filled_env(text: str, tmp_path: Path) -> str:
    """.env.example with every empty value filled, as an operator would."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = str(tmp_path / name.lower()) if name.endswith("_DIR") else f"test-{name.lower()}"
        return f"{name}={value}"

    return re.sub(r"^([A-Z][A-Z0-9_]*)=$", fill, text, flags=re.MULTILINE)


def _docker_compose() -> str:
    found = shutil.which("docker-compose")
    if found is None:
        message = "needs docker-compose (scripts/install --dev installs it as root: apt-get)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _run_config(tmp_path: Path, env_text: str) -> subprocess.CompletedProcess[str]:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    shutil.copy(COMPOSE, project / "docker-compose.yml")
    (project / ".env").write_text(env_text, encoding="utf-8")
    return subprocess.run(
        [_docker_compose(), "-f", "docker-compose.yml", "config"],
        cwd=project,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},  # only .env speaks
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_docker_compose_accepts_the_file_with_an_env_made_from_the_example(
    tmp_path: Path,
) -> None:
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    done = _run_config(tmp_path, _filled_env(example, tmp_path))
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    app_env = resolved["services"]["app"]["environment"]
    assert app_env["SUPPORTBOT_DATABASE_URL"] == (
        "postgresql://supportbot:test-postgres_password@postgres:5432/supportbot"
    )
    assert app_env["SUPPORTBOT_MODEL__API_KEY"] == "test-vllm_api_key"
    assert app_env["SUPPORTBOT_INGEST__SCHEDULE_AT"] == "02:00"
    assert resolved["services"]["vllm"]["environment"]["VLLM_API_KEY"] == "test-vllm_api_key"
    # Left as the example has them, the secrets stop the deployment with a clear message.
    unfilled = _run_config(tmp_path, example)
    assert unfilled.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in unfilled.stderr + unfilled.stdout


def test_every_service_is_health_checked_and_pinned() -> None:
    for name, service in _services().items():
        one_shot = service.get("restart") == "no"
        assert one_shot or service.get("healthcheck", {}).get("test"), f"{name}: no healthcheck"
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: unpinned {image}"


def test_secrets_come_only_from_the_environment() -> None:
    compose = _compose()
    for name, service in _services().items():
        for key, value in (service.get("environment") or {}).items():
            if _SECRET_KEY.search(key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", str(value)), (name, key, value)
    database_url = compose["x-supportbot"]["environment"]["SUPPORTBOT_DATABASE_URL"]
    assert "${POSTGRES_PASSWORD:?" in database_url
    # Every variable the file uses is explained in .env.example.
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    used = {m.group(1) for s in _strings(compose) for m in _VARIABLE.finditer(s)}
    assert used, "no ${VARIABLE} found: the pattern is broken"
    for variable in sorted(used):
        assert re.search(rf"^#? ?{variable}=", example, re.MULTILINE), f"{variable} undocumented"


def test_the_model_server_serves_lora_adapters_behind_an_api_key() -> None:
    vllm = _services()["vllm"]
    assert vllm["image"].startswith("vllm/vllm-openai:v")
    args = vllm["command"]
    assert "--enable-lora" in args
    assert any(a.startswith("--lora-modules=") for a in args)
    has_key_flag = any(a.startswith("--api-key") for a in args)
    assert has_key_flag or vllm["environment"]["VLLM_API_KEY"].startswith("${VLLM_API_KEY")
    mounts = {v.rsplit(":", 2)[1]: v for v in vllm["volumes"]}  # host:container:mode
    assert mounts["/models/base"].endswith(":ro") and mounts["/models/adapters"].endswith(":ro")
    devices = vllm["deploy"]["resources"]["reservations"]["devices"]
    assert ["gpu"] in [d["capabilities"] for d in devices]
    # The app asks for the adapter vLLM serves, with the same key.
    app_env = _compose()["x-supportbot"]["environment"]
    assert app_env["SUPPORTBOT_MODEL__NAME"] == "${VLLM_ADAPTER_NAME:-support}"
    assert "--lora-modules=${VLLM_ADAPTER_NAME:-support}=" in " ".join(args)


def test_the_app_migrates_first_and_is_ready_only_when_its_services_are() -> None:
    services = _services()
    app = services["app"]
    command = " ".join(app["command"])
    assert command.index("supportbot db upgrade") < command.index("supportbot serve")
    assert "/readyz" in " ".join(app["healthcheck"]["test"])
    for needed in ("postgres", "qdrant"):
        assert app["depends_on"][needed]["condition"] == "service_healthy"
        assert services["ingest"]["depends_on"][needed]["condition"] == "service_healthy"


def test_the_nightly_ingest_runs_at_two_by_default() -> None:
    ingest = _services()["ingest"]
    assert ingest["command"][:2] == ["supportbot", "schedule-ingest"]
    assert "--at" not in ingest["command"]  # the time comes from the settings
    assert Settings().ingest.schedule_at == "02:00"
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert re.search(r"^SUPPORTBOT_INGEST__SCHEDULE_AT=02:00$", example, re.MULTILINE)


def test_env_example_names_every_setting_with_its_default() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert text == with_settings_block(text), "stale .env.example: run python -m app.ground.envfile"
    generated = text.split(MARKER, 1)[1]
    variables = setting_variables()
    assert len(variables) > 50
    for variable in variables:
        assert f"# {variable.name}={variable.default}\n" in generated
    names = {v.name for v in variables}
    assert {"SUPPORTBOT_HOME", "SUPPORTBOT_MODEL__EXTRA_BODY", "SUPPORTBOT_LOG__FORMAT"} <= names


# --- one ingest at a time ------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def lock_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        return Settings(home=tmp_path / "home", database_url=url)
    return Settings(home=tmp_path / "home")


def test_a_second_ingest_refuses_while_one_runs(lock_settings: Settings, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    cli = [sys.executable, "-m", "app.doors.cli", "ingest", str(sources)]
    env = {**os.environ, "SUPPORTBOT_DATABASE_URL": lock_settings.database_url}

    def ingest() -> subprocess.CompletedProcess[str]:
        return subprocess.run(cli, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)

    with ingest_lock(lock_settings):
        with pytest.raises(AppError) as refused, ingest_lock(lock_settings):
            pass
        assert refused.value.code == "busy"
        assert f"supportbot ingest pid {os.getpid()}" in refused.value.message
        # The real command, in another process, stops at once and says why.
        second = ingest()
        assert second.returncode == 2, second.stderr
        assert "another ingest is running (supportbot ingest pid" in second.stderr
        assert "this one did nothing" in second.stderr
        assert not (lock_settings.home / "reports").exists()
    after = ingest()
    assert after.returncode == 0, after.stderr
    assert "ingest finished" in after.stdout


def _scheduler_log_until_next_run(
    env: dict[str, str], timeout: float = 600
) -> list[dict[str, Any]]:
    """Start `supportbot schedule-ingest --now`, collect its JSON log until it waits for the
    next night, then stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app.doors.cli", "schedule-ingest", "--now"],
        cwd=REPO,
        env={**env, "SUPPORTBOT_LOG__FORMAT": "json"},
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:  # readline blocks: a thread keeps the deadline below honest
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    entries: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                entries.append(json.loads(lines.get(timeout=1)))
            except queue.Empty:
                assert process.poll() is None, f"schedule-ingest exited: {entries}"
                continue
            if entries[-1]["message"].startswith("next ingest at"):
                return entries
        raise TimeoutError(f"no 'next ingest at' in {entries}")
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_the_scheduler_runs_at_start_then_waits_and_reports_a_busy_lock(
    tmp_path: Path,
) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    settings = Settings(home=tmp_path / "home", data_dir=sources)
    env = {**os.environ, "SUPPORTBOT_DATA_DIR": str(sources)}
    with ingest_lock(settings):
        refused = _scheduler_log_until_next_run(env)
    failure = next(e for e in refused if e["message"] == "ingest did not run")
    assert failure["level"] == "ERROR" and failure["exit_code"] == 2
    assert "another ingest is running" in failure["error"]
    ran = _scheduler_log_until_next_run(env)
    finished = next(e for e in ran if e["message"] == "ingest finished")
    assert finished["exit_code"] == 0 and finished["summary"]["passages_total"] == 0
    assert ran[-1]["next_run"].endswith("T02:00:00+00:00")
    assert (settings.home / "schedule-ingest.heartbeat").exists()
