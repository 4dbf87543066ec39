"""Build the tiny model and LoRA adapter that the vLLM test tier serves.

Why: the app's tests need a real vLLM OpenAI-compatible server (streaming, structured output,
LoRA adapters, a server that dies mid-stream), but no model can be downloaded here and CI has
two CPU cores. A random-weight 2-layer Llama with hidden size 128 loads in seconds and runs on
the CPU build of vLLM; its text is noise, but every protocol feature is real.

The tokenizer is a byte-level BPE trained here with `tokenizers` on a local word list (the
MiniLM vocab.txt the app venv ships). Byte-level matters: decoding is the plain concatenation of
the tokens' bytes, so structured output ("choice", JSON schema) comes back exactly as the
grammar spells it. A WordPiece tokenizer (MiniLM's own) loads too, but its decoder puts spaces
between word pieces, so a constrained "complaint" comes back as " co m p la in t".

The LoRA adapter is a PEFT adapter (rank 8 on q_proj and v_proj) initialised with non-zero B
matrices, so model "support" answers differently from the base model "tiny".

Run with .vllm-venv's python (scripts/vllm_tier/setup does):
    .vllm-venv/bin/python scripts/vllm_tier/build_tiny_model.py --words <vocab.txt> \
        --out var/vllm-tier
Writes <out>/model and <out>/adapter; deterministic (fixed seed, float32).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

SEED = 1234
VOCAB_SIZE = 4096
MAX_MODEL_LEN = 1024
BOS, EOS, PAD = "<s>", "</s>", "<pad>"
# A role-prefixed transcript; enough for vLLM's chat endpoint to render any message list.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ message['role'] }}: {{ message['content'] }}\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)
# Extra training text so chat roles, punctuation and JSON come out as whole tokens.
EXTRA_TEXT = [
    "system: user: assistant: tool:",
    'question complaint {"answer": "yes", "sources": [1, 2], "ok": true, "n": null}',
    "The printer shows error E-42. Restart it, then check the toner? Thanks!",
]


def _corpus(words_file: Path) -> list[str]:
    words = [
        line.strip()
        for line in words_file.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("[", "##"))
    ]
    lines = [" ".join(words[i : i + 16]) for i in range(0, len(words), 16)]
    return lines + EXTRA_TEXT


def build_tokenizer(words_file: Path) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=[BOS, EOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(words_file), trainer=trainer)
    # Like Llama: BOS in front when special tokens are added (the completions endpoint).
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A $B", special_tokens=[(BOS, tok.token_to_id(BOS))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        model_max_length=MAX_MODEL_LEN,
        chat_template=CHAT_TEMPLATE,
    )


def build(words_file: Path, out: Path) -> None:
    hf_logging.disable_progress_bar()
    model_dir = out / "model"
    adapter_dir = out / "adapter"
    for path in (model_dir, adapter_dir):
        if path.exists():
            shutil.rmtree(path)

    tokenizer = build_tokenizer(words_file)
    for text in ("complaint", '{"answer": "yes"}', "héllo wörld ✓"):
        ids = tokenizer.encode(text, add_special_tokens=False)
        if tokenizer.decode(ids) != text:
            raise SystemExit(f"tokenizer does not round-trip {text!r}")

    torch.manual_seed(SEED)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=MAX_MODEL_LEN,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        dtype="float32",
    )
    model = LlamaForCausalLM(config).to(torch.float32).eval()
    model.save_pretrained(str(model_dir))
    tokenizer.save_pretrained(str(model_dir))

    # init_lora_weights=False draws A and B at random: a default LoRA (B = 0) is a no-op.
    lora = LoraConfig(
        r=8,
        lora_alpha=16,
        target_modules=["q_proj", "v_proj"],
        lora_dropout=0.0,
        bias="none",
        task_type="CAUSAL_LM",
        init_lora_weights=False,
    )
    peft_model = get_peft_model(model, lora)
    peft_model.save_pretrained(str(adapter_dir))

    probe = torch.tensor([tokenizer.encode("user: hello\nassistant:")])
    with torch.no_grad():
        with peft_model.disable_adapter():
            base_logits = peft_model(probe).logits
        adapted_logits = peft_model(probe).logits
    if torch.allclose(base_logits, adapted_logits):
        raise SystemExit("the LoRA adapter does not change the model's output")
    params = sum(p.numel() for p in model.parameters())
    print(
        f"vllm tier: tiny model ({params / 1e6:.1f}M parameters, vocab {len(tokenizer)})"
        f" -> {model_dir}; LoRA adapter -> {adapter_dir}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the vLLM test tier's tiny model.")
    parser.add_argument(
        "--words", type=Path, required=True, help="a word list (one a line) to train the BPE on"
    )
    parser.add_argument("--out", type=Path, default=Path("var/vllm-tier"))
    args = parser.parse_args()
    build(args.words, args.out)


if __name__ == "__main__":
    main()
