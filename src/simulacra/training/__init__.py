"""Fine-tuning simulated users (survey §5.3-5.5): LoRA SFT and DPO on the user side of
conversations, offline base models, and the way back into simulation runs.

Needs the ``train`` extra (torch, transformers, peft, trl, datasets, accelerate); every heavy
import is lazy, so importing this package costs nothing.
"""

__all__: list[str] = []
