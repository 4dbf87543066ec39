"""The small model's lifecycle: SFT set from tickets, LoRA training, evaluation, promotion.

dataset.py -> train.py -> evaluate.py -> promote.py, driven by `supportbot finetune ...`
(cli.py); server.py talks to the model server (vLLM) for evaluation and runtime loading.
"""
