"""What the trainer and tool tests share: the repository's paths and the smallest model config of the family
(pytest puts this directory on sys.path, so tests import it as `tiny`)."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HSA = os.path.join(ROOT, "build", "hsa")
TOK = os.path.join(ROOT, "models", "tokenizer", "hsa-8k.model")

TINY = {
    "architecture": "swa_hsa", "vocab_size": 8192, "hidden_size": 32, "intermediate_size": 64,
    "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "num_lower_layers": 1,
    "num_upper_layers": 1, "num_upper_groups": 1, "sliding_window": 64,
    "hsa": {"num_kv_heads": 1, "retrieval_dim": 32, "single_head_retrieval": True, "chunk_size": 32, "topk": 2,
            "encoder": {"layers": 1, "landmark": "cls", "intermediate_size": 64}},
}
