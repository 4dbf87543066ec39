"""How long `supportbot finetune train` takes for a model of production size (issue 5).

Builds a base model of the given shape with random weights (speed does not depend on what the
weights say, and the GPU machine has no model to download), with the tokenizer of `--tokenizer`
(the vLLM test tier's tiny model by default), then trains a LoRA adapter on an SFT set made
by `supportbot finetune dataset` through the same `train_adapter` the command runs, and prints
the training report plus the time per step and the tokens trained per second.

Imports only torch, transformers, peft and app.finetune.train, so it runs on a GPU machine
that has nothing else of the app installed.

    .venv/bin/python benchmarks/finetune_train_speed.py --dataset sft/ --shape tiny --steps 20
    python3 benchmarks/finetune_train_speed.py --dataset sft/ --shape 7b --steps 60   # GPU
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.finetune.examples import read_examples  # noqa: E402
from app.finetune.train import TrainOptions, encode, train_adapter  # noqa: E402

# Llama-architecture shapes: the tiny test model's, and a 7-billion-parameter one
# (Llama-2-7B's dimensions, the size of model the product is designed around).
SHAPES: dict[str, dict[str, int]] = {
    "tiny": {
        "hidden_size": 128,
        "intermediate_size": 256,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
    },
    "7b": {
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
    },
}


def build_base(shape: str, tokenizer_dir: Path, out: Path) -> int:
    """A random-weight Llama model of `shape` saved in `out`; returns its parameter count."""
    import torch
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tokenizer_dir))
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **SHAPES[shape],
    )
    gpu = torch.cuda.is_available()
    with torch.device("cuda" if gpu else "cpu"):  # 7B weights are made in seconds on a GPU
        model = transformers.LlamaForCausalLM(config).to(torch.bfloat16 if gpu else torch.float32)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    parameters = sum(p.numel() for p in model.parameters())
    del model
    if gpu:
        torch.cuda.empty_cache()
    return parameters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, required=True, help="a finetune dataset folder")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="7b")
    parser.add_argument(
        "--tokenizer", type=Path, default=REPO / "var" / "vllm-tier" / "model", help="its folder"
    )
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--max-length", type=int, default=2048)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        base, adapter = Path(scratch) / "base", Path(scratch) / "adapter"
        parameters = build_base(args.shape, args.tokenizer, base)
        options = TrainOptions(steps=args.steps, max_length=args.max_length)
        report = train_adapter(args.dataset, base, adapter, options)

        import transformers

        tokenizer = transformers.AutoTokenizer.from_pretrained(str(base))
        lengths = [
            len(encode(tokenizer, row["messages"])[0])
            for row in read_examples(args.dataset / "train.jsonl")
        ]
    fitting = [n for n in lengths if n <= args.max_length]
    mean_tokens = sum(fitting) / max(1, len(fitting))
    seconds = float(report["seconds"])
    result = {
        "shape": args.shape,
        "parameters": parameters,
        "device": report["device"],
        "steps": report["steps"],
        "examples": report["examples"],
        "mean_example_tokens": round(mean_tokens),
        "train_seconds": seconds,
        "seconds_per_step": round(seconds / int(report["steps"]), 3),
        "tokens_per_second": round(mean_tokens * int(report["steps"]) / seconds),
        "train_loss_first": report["train_loss_first"],
        "train_loss_last": report["train_loss_last"],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
