"""PyTorch reference of the HSA model family (spec/MODEL.md): config schema, model and streaming oracle.

The package is the executable form of the spec that the C++ CPU and CUDA backends are checked against, and
the model the trainer trains; its state_dict keys are the tensor names of the model file (docs/model_format.md).
"""

from .config import EncoderConfig, HsaConfig, ModelConfig
from .model import HSAModel, StreamingSession, rope_cos_sin, select_chunks, slot_weights

__all__ = ["EncoderConfig", "HsaConfig", "ModelConfig", "HSAModel", "StreamingSession",
           "rope_cos_sin", "select_chunks", "slot_weights"]
