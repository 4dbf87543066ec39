"""The small model's lifecycle: SFT set from tickets, LoRA training, evaluation, promotion.

pairs.py -> dataset.py -> train.py -> evaluate.py -> promote.py, driven by `supportbot finetune
...` (the door app/doors/cli/finetune.py, which also reads the source files with ingest's
loaders); server.py talks to the model server (vLLM) for evaluation and runtime loading.
"""
