"""What fine-tuning buys: SmolLM2-135M-Instruct, base vs a LoRA trained on the demo tickets.

The loop as an operator runs it: the demo data ingested into a fresh home, `supportbot
finetune dataset` (4 passages, the app's default), `supportbot finetune train` on the CPU,
then both models answer through the real vLLM server (scripts/vllm_tier/serve smollm2, the
adapter loaded at run time as `finetune eval` loads it), greedy, on

- `heldout`: the dataset's validation split (the examples the adapter was not trained on);
- `unseen`: a sample of the demo QA suite (benchmarks/suites/demo), questions no training
  example was built from, each with the passages the app's retriever gives it.

Figures, per model and set (each 0..1 but the length):
- citation_valid: of the examples that should be answered, the share where the model answered
  and the app would show it: it cites, and every claim passes app/pipeline/support.py (a
  valid marker, and the cited passage holds its words, numbers and model names);
- rougeL_f1: ROUGE-L F1 (app.ground.text.rouge_l_f1) of the answer against the reference,
  markers removed, over the examples that should be answered;
- abstain_ok: the share where the model abstained (app.finetune.evaluate.abstained: says it
  does not know, or cites nothing) exactly when the reference does;
- answer_words: mean answer length in words.

The last stdout line is one JSON object.

    .venv/bin/python benchmarks/finetune_effect.py --json
    .venv/bin/python benchmarks/finetune_effect.py --json --home H --dataset D --adapter A
        (reuse an ingested home, a dataset, a trained adapter: each step that is given is
        skipped)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.finetune.evaluate import abstained  # noqa: E402
from app.finetune.examples import read_examples  # noqa: E402
from app.ground.text import rouge_l_f1  # noqa: E402
from app.pipeline.generators.vllm import quoted_passages  # noqa: E402
from app.pipeline.markers import strip_markers  # noqa: E402
from app.pipeline.support import unsupported_claims  # noqa: E402

SUITE = REPO / "benchmarks" / "suites" / "demo"
BASE_MODEL, TUNED_MODEL = "smollm2", "tuned"
ENV = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def cli(*args: str, env: dict[str, str]) -> dict[str, Any]:
    """Run `supportbot ARGS` and return its last stdout line's JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "app.doors.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"supportbot {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    lines = done.stdout.strip().splitlines()
    return dict(json.loads(lines[-1])) if lines and lines[-1].startswith("{") else {}


def heldout_items(dataset: Path) -> list[dict[str, Any]]:
    items = []
    for row in read_examples(dataset / "validation.jsonl"):
        items.append(
            {
                "id": row["id"],
                "messages": row["messages"][:-1],
                "passages": quoted_passages(row["messages"][1]["content"]),
                "reference": None if row["abstain"] else row["messages"][-1]["content"],
            }
        )
    return items


def suite_sample(size: int) -> list[dict[str, Any]]:
    """`size` demo questions by a stable hash of their id, the unanswerable share kept."""
    rows = [json.loads(line) for line in (SUITE / "questions.jsonl").read_text().splitlines()]
    rows.sort(key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
    unanswerable = [r for r in rows if r["answer"] is None]
    take = round(size * len(unanswerable) / len(rows))
    answerable = [r for r in rows if r["answer"] is not None]
    return answerable[: size - take] + unanswerable[:take]


def suite_items(home: Path, questions: list[dict[str, Any]], passages: int) -> list[dict[str, Any]]:
    """Each question with the passages the app's retriever gives it, in the app's prompt."""
    os.environ["SUPPORTBOT_HOME"] = str(home)
    from app.doors.cli import common
    from app.index.store import open_reader
    from app.pipeline.generators.base import GenerationRequest
    from app.pipeline.generators.vllm import build_messages
    from app.pipeline.retrieval import HybridRetriever

    config = common.settings()
    reader = open_reader(config)
    try:
        retriever = HybridRetriever(reader, common.embedder(config), config.retrieval)
        items = []
        for row in questions:
            found = tuple(retriever.search(row["question"], k=passages))
            request = GenerationRequest(
                question=row["question"], history=(), passages=found, product=None
            )
            items.append(
                {
                    "id": row["id"],
                    "messages": build_messages(request),
                    "passages": [r.passage.text for r in found],
                    "reference": row["answer"],
                }
            )
    finally:
        reader.close()
    return items


def scores(items: list[dict[str, Any]], answers: list[str]) -> dict[str, Any]:
    valid, rouge, agree, words = [], [], [], []
    for item, answer in zip(items, answers, strict=True):
        gave_up = abstained(answer)
        should_answer = item["reference"] is not None
        agree.append(gave_up != should_answer)
        words.append(len(strip_markers(answer).split()))
        if should_answer:
            shown = not gave_up and not unsupported_claims(answer, item["passages"])
            valid.append(shown)
            rouge.append(rouge_l_f1(strip_markers(answer), strip_markers(item["reference"])))
    return {
        "examples": len(items),
        "should_answer": len(valid),
        "citation_valid": round(statistics.fmean(valid), 4) if valid else 0.0,
        "rougeL_f1": round(statistics.fmean(rouge), 4) if rouge else 0.0,
        "abstain_ok": round(statistics.fmean(agree), 4) if agree else 0.0,
        "answer_words": round(statistics.fmean(words), 1) if words else 0.0,
    }


def answer_all(
    server: Any, model: str, items: list[dict[str, Any]], max_tokens: int
) -> tuple[list[str], float]:
    """Greedy answers, a few requests at once (vLLM batches them), and the seconds taken."""
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda i: server.chat(model, i["messages"], max_tokens=max_tokens), items)
        )
    return answers, round(time.monotonic() - started, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="(the last line is JSON anyway)")
    parser.add_argument(
        "--home", help="an ingested SUPPORTBOT_HOME (default: ingest into a temp one)"
    )
    parser.add_argument("--dataset", help="a dataset folder (default: build one)")
    parser.add_argument("--adapter", help="a trained adapter (default: train one)")
    parser.add_argument("--out", help="where to keep the dataset, adapter and answers")
    parser.add_argument("--passages", type=int, default=4)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=1400)
    parser.add_argument("--validation-limit", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--suite-size", type=int, default=20)
    parser.add_argument("--base-url", help="a running `serve smollm2` (default: start one)")
    args = parser.parse_args()

    out = Path(args.out or tempfile.mkdtemp(prefix="finetune-effect-"))
    out.mkdir(parents=True, exist_ok=True)
    home = Path(args.home) if args.home else out / "home"
    env = {**ENV, "SUPPORTBOT_HOME": str(home), "SUPPORTBOT_DATA_DIR": str(REPO / "data")}
    timings: dict[str, float] = {}
    if not args.home:
        started = time.monotonic()
        cli("db", "upgrade", env=env)
        cli("ingest", env=env)
        timings["ingest_s"] = round(time.monotonic() - started, 1)
    dataset = Path(args.dataset) if args.dataset else out / "sft"
    stats: dict[str, Any] = {}
    if not args.dataset:
        started = time.monotonic()
        stats = cli(
            "finetune", "dataset", "--out", str(dataset), "--passages", str(args.passages), env=env
        )
        timings["dataset_s"] = round(time.monotonic() - started, 1)
    adapter = Path(args.adapter) if args.adapter else out / "adapter"
    if not args.adapter:
        started = time.monotonic()
        cli(
            "finetune", "train", "--dataset", str(dataset), "--base",
            str(REPO / "var" / "vllm-tier" / "smollm2"), "--out", str(adapter),
            "--steps", str(args.steps), "--learning-rate", str(args.learning_rate),
            "--rank", str(args.rank), "--max-length", str(args.max_length),
            "--validation-limit", str(args.validation_limit), env=env,
        )  # fmt: skip
        timings["train_command_s"] = round(time.monotonic() - started, 1)
    training = json.loads((adapter / "training.json").read_text())

    heldout = heldout_items(dataset)
    unseen = suite_items(home, suite_sample(args.suite_size), args.passages)

    from app.finetune.server import ModelServer
    from app.ground.config import ModelSettings

    server_process = None
    base_url = args.base_url
    if not base_url:
        from tests.vllm_tier.server import REAL_MODEL, VllmServer

        server_process = VllmServer(out / "vllm-log", model=REAL_MODEL)
        server_process.start()
        timings["server_ready_s"] = round(server_process.wait_ready(), 1)
        base_url = server_process.base_url
    server = ModelServer(ModelSettings(base_url=base_url), timeout_s=600)
    results: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    try:
        server.load_adapter(TUNED_MODEL, str(adapter.resolve()))
        for set_name, items in (("heldout", heldout), ("unseen", unseen)):
            for model in (BASE_MODEL, TUNED_MODEL):
                said, seconds = answer_all(server, model, items, args.max_tokens)
                key = "base" if model == BASE_MODEL else "tuned"
                results.setdefault(set_name, {})[key] = {**scores(items, said), "seconds": seconds}
                answers.setdefault(set_name, {})[key] = dict(
                    zip([i["id"] for i in items], said, strict=True)
                )
    finally:
        server.close()
        if server_process is not None:
            server_process.stop()
    (out / "answers.json").write_text(json.dumps(answers, indent=2, ensure_ascii=False) + "\n")

    held, seen = results["heldout"], results["unseen"]
    figures = ("citation_valid", "rougeL_f1", "abstain_ok")
    targets = {
        "citation_valid_gain_ge_0.20": held["tuned"]["citation_valid"]
        >= held["base"]["citation_valid"] + 0.20,
        "rougeL_f1_above_base": held["tuned"]["rougeL_f1"] > held["base"]["rougeL_f1"],
        "abstain_ok_not_below_base": held["tuned"]["abstain_ok"] >= held["base"]["abstain_ok"],
        "unseen_no_figure_down_more_than_0.02": all(
            seen["tuned"][f] >= seen["base"][f] - 0.02 for f in figures
        ),
    }
    for set_name, pair in results.items():
        for key, row in pair.items():
            print(
                f"{set_name:8} {key:6} citation_valid {row['citation_valid']:.3f}  rougeL_f1 "
                f"{row['rougeL_f1']:.3f}  abstain_ok {row['abstain_ok']:.3f}  words "
                f"{row['answer_words']:.1f}  ({row['examples']} examples, {row['seconds']} s)"
            )
    print(
        json.dumps(
            {
                "model": "SmolLM2-135M-Instruct (var/vllm-tier/smollm2), vLLM CPU, greedy",
                "max_tokens": args.max_tokens,
                "passages": args.passages,
                "dataset": stats or {"folder": str(dataset)},
                "training": {
                    k: training[k]
                    for k in (
                        "examples",
                        "examples_too_long",
                        "steps",
                        "seconds",
                        "train_loss_first",
                        "train_loss_last",
                        "validation_loss_before",
                        "validation_loss_after",
                        "options",
                    )
                },  # fmt: skip
                "timings": timings,
                "unseen_suite": f"benchmarks/suites/demo, {len(unseen)} of its questions",
                "results": results,
                "targets": targets,
                "out": str(out),
            }
        )
    )


if __name__ == "__main__":
    main()
