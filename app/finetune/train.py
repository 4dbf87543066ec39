"""`supportbot finetune train`: a LoRA adapter (PEFT) for the base model, from the SFT set.

Loss is taken on the reference answers only: the prompt (system text and passages) is what
the model reads, not what it should learn to write. Examples longer than `max_length` tokens
are left out rather than cut, because cutting drops passages the answer cites.

On a GPU in production (bfloat16); on the CPU with the tiny test model in CI (float32). The
adapter directory gets the PEFT files vLLM loads plus `training.json` (what it was trained
from and how the loss moved, on the training and the validation examples).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.finetune.examples import read_examples
from app.ground.errors import AppError

IGNORE = -100  # label of a token the loss skips (the prompt)


@dataclass(frozen=True)
class TrainOptions:
    steps: int | None = None  # optimizer steps; None: `epochs` passes over the training set
    epochs: float = 2.0
    learning_rate: float = 2e-4
    rank: int = 8
    alpha: int = 16
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    max_length: int = 1024
    seed: int = 1234
    # Validation examples the loss is measured on before and after (None: all): on a CPU each
    # costs a forward pass over its whole prompt.
    validation_limit: int | None = None


def _torch_and_peft() -> tuple[Any, Any, Any]:
    try:
        import peft
        import torch
        import transformers
    except ImportError as exc:
        raise AppError(
            "config",
            f"training needs the finetune extra (pip install 'supportbot[finetune]'): {exc}",
        ) from exc
    return torch, transformers, peft


def encode(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[list[int], list[int]]:
    """Token ids of a chat example and its labels (the prompt masked with IGNORE)."""
    prompt = tokenizer.apply_chat_template(
        messages[:-1], add_generation_prompt=True, tokenize=False
    )
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    # What the template puts after the generation prompt is exactly what the model must write.
    completion = full[len(prompt) :] if full.startswith(prompt) else messages[-1]["content"]
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
    if tokenizer.eos_token_id is not None and answer_ids[-1:] != [tokenizer.eos_token_id]:
        answer_ids = [*answer_ids, tokenizer.eos_token_id]
    return prompt_ids + answer_ids, [IGNORE] * len(prompt_ids) + answer_ids


def train_adapter(
    dataset_dir: Path, base_dir: Path, out_dir: Path, options: TrainOptions
) -> dict[str, Any]:
    """Train, save the adapter to `out_dir`, and return the training report."""
    torch, transformers, peft = _torch_and_peft()
    if not (base_dir / "config.json").is_file():
        raise AppError("usage", f"{base_dir}: not a model directory (no config.json)")
    train_rows = read_examples(dataset_dir / "train.jsonl")
    validation_rows = read_examples(dataset_dir / "validation.jsonl")
    random.seed(options.seed)
    torch.manual_seed(options.seed)

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(base_dir))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = transformers.AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=dtype)
    lora = peft.LoraConfig(
        r=options.rank,
        lora_alpha=options.alpha,
        target_modules=list(options.target_modules),
        lora_dropout=0.05,
        bias="none",
        task_type="CAUSAL_LM",
    )
    model = peft.get_peft_model(model, lora).to(device)

    def encoded(rows: list[dict[str, Any]]) -> tuple[list[tuple[list[int], list[int]]], int]:
        kept = [encode(tokenizer, row["messages"]) for row in rows]
        fitting = [pair for pair in kept if len(pair[0]) <= options.max_length]
        return fitting, len(kept) - len(fitting)

    train, too_long = encoded(train_rows)
    validation, _ = encoded(validation_rows)
    if not train:
        raise AppError(
            "usage",
            f"no training example fits in {options.max_length} tokens "
            f"({too_long} too long): build the dataset with fewer --passages",
        )

    def loss_of(ids: list[int], labels: list[int]) -> Any:
        # Logits only where the answer is predicted (the last token of the prompt onwards):
        # the output layer over a 49k vocabulary at every prompt position is a fifth of a
        # small model's work and feeds no loss.
        answer = len(labels) - next(i for i, label in enumerate(labels) if label != IGNORE)
        batch = torch.tensor([ids], device=device)
        logits = model(input_ids=batch, logits_to_keep=answer + 1).logits[0, :-1]
        targets = torch.tensor(labels[-answer:], device=device)
        return torch.nn.functional.cross_entropy(logits.float(), targets)

    def mean_loss(pairs: list[tuple[list[int], list[int]]]) -> float | None:
        pairs = pairs[: options.validation_limit]
        if not pairs:
            return None
        model.eval()
        with torch.no_grad():
            return round(sum(float(loss_of(*pair)) for pair in pairs) / len(pairs), 4)

    steps = options.steps or max(1, round(options.epochs * len(train)))
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=options.learning_rate
    )
    validation_before = mean_loss(validation)
    started = time.monotonic()
    losses: list[float] = []
    order: list[int] = []
    model.train()
    for _ in range(steps):
        if not order:
            order = random.sample(range(len(train)), len(train))
        loss = loss_of(*train[order.pop()])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())

    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    window = max(1, min(10, len(losses) // 3))
    report = {
        "base_model": str(base_dir.resolve()),
        "dataset": str(dataset_dir.resolve()),
        "dataset_sha256": _sha256(dataset_dir / "train.jsonl"),
        "device": device,
        "examples": len(train),
        "examples_too_long": too_long,
        "steps": steps,
        "seconds": round(time.monotonic() - started, 1),
        "train_loss_first": round(sum(losses[:window]) / window, 4),
        "train_loss_last": round(sum(losses[-window:]) / window, 4),
        "validation_loss_before": validation_before,
        "validation_loss_after": mean_loss(validation),
        "options": {**options.__dict__, "target_modules": list(options.target_modules)},
    }
    (out_dir / "training.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def adapter_fingerprint(adapter_dir: Path) -> str:
    """A short hash of the adapter's weights: names a promoted adapter, and tells whether the
    adapter that is promoted is the one that was evaluated."""
    weights = sorted(adapter_dir.glob("adapter_model.*"))
    if not weights or not (adapter_dir / "adapter_config.json").is_file():
        raise AppError("usage", f"{adapter_dir}: not a PEFT adapter (adapter_config.json, weights)")
    digest = hashlib.sha256()
    for path in [adapter_dir / "adapter_config.json", *weights]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
