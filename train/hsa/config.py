"""Model configuration: the config.json schema of spec/MODEL.md section 7, as dataclasses.

One idea: the JSON file is the contract between the trainer, the reference model and the C++ engine, so
parsing is strict. Every key is declared once below with its type and default; a key we do not know, a
required key that is missing, a value of the wrong type or a combination that cannot describe a model raises
ValueError naming the key (`config.json: unknown key 'hsa.foo'`) instead of being guessed around.

Layout of config.json: flat top-level keys, a nested "hsa" object, and inside it a nested "encoder" object.
Defaults that depend on other keys (encoder heads, kv_heads, intermediate_size) are resolved when the
config is built, and to_dict() writes the resolved values, so from_dict(to_dict(c)) == c.
"""

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

ARCHITECTURES = ("swa_hsa", "swa", "transformer")
WEIGHTINGS = ("stick_breaking", "softmax")
RESIDUALS = ("bypass", "standard")
LANDMARKS = ("cls", "mean")

REQUIRED = object()  # marker default: the key must be present in the file


@dataclass
class EncoderConfig:
    """hsa.encoder: the bidirectional chunk encoder that makes landmarks and chunk K/V (MODEL.md s4)."""
    layers: int = 1
    landmark: str = "cls"
    heads: Optional[int] = None              # None -> num_attention_heads
    kv_heads: Optional[int] = None           # None -> num_key_value_heads
    intermediate_size: Optional[int] = None  # None -> floor(8 d / 3 / 64) * 64


@dataclass
class HsaConfig:
    """hsa: chunking, retrieval and the HSA blocks of the upper stack (MODEL.md s4-s6)."""
    num_kv_heads: int = REQUIRED             # h_kv
    retrieval_dim: int = REQUIRED            # D_r
    single_head_retrieval: bool = REQUIRED   # h_r = 1 instead of h_kv
    chunk_size: int = 64                     # S
    topk: int = 8                            # K
    weighting: str = "stick_breaking"
    softmax_off_by_one: bool = False
    qk_norm: bool = True
    lmk_norm: bool = False
    residual: str = "bypass"
    fused_swa: bool = False
    encoder: EncoderConfig = field(default_factory=EncoderConfig)

    @property
    def retrieval_heads(self) -> int:
        return 1 if self.single_head_retrieval else self.num_kv_heads


@dataclass
class ModelConfig:
    vocab_size: int = REQUIRED
    hidden_size: int = REQUIRED
    intermediate_size: int = REQUIRED
    num_attention_heads: int = REQUIRED
    num_key_value_heads: int = REQUIRED
    head_dim: int = REQUIRED
    num_lower_layers: int = REQUIRED
    num_upper_layers: int = REQUIRED
    # Required for swa_hsa; meaningless (and optional) for the swa / transformer baselines.
    num_upper_groups: Optional[int] = None
    architecture: str = "swa_hsa"
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    qk_norm: bool = True
    sliding_window: Optional[int] = 512      # None = full causal attention
    tie_word_embeddings: bool = False
    hsa: Optional[HsaConfig] = None          # required for swa_hsa

    # ---- construction -------------------------------------------------------------------------------
    def __post_init__(self):
        self._resolve_and_validate("config")

    @classmethod
    def from_dict(cls, d: Dict[str, Any], source: str = "config") -> "ModelConfig":
        """Build from the config.json layout. `source` prefixes every error message (a file name)."""
        if not isinstance(d, dict):
            raise ValueError(f"{source}: top level must be a JSON object")
        top = _take_fields(cls, d, "", source, skip={"hsa"})
        arch = top.get("architecture", "swa_hsa")
        if "hsa" in d:
            h = d["hsa"]
            if not isinstance(h, dict):
                raise ValueError(f"{source}: key 'hsa' must be an object")
            hk = _take_fields(HsaConfig, h, "hsa.", source, skip={"encoder"})
            e = h.get("encoder", {})
            if not isinstance(e, dict):
                raise ValueError(f"{source}: key 'hsa.encoder' must be an object")
            hk["encoder"] = EncoderConfig(**_take_fields(EncoderConfig, e, "hsa.encoder.", source))
            top["hsa"] = HsaConfig(**hk)
        elif arch == "swa_hsa":
            raise ValueError(f"{source}: missing key 'hsa' (required for architecture swa_hsa)")
        cfg = cls.__new__(cls)
        for f in dataclasses.fields(cls):
            setattr(cfg, f.name, top.get(f.name, f.default if f.default is not dataclasses.MISSING else None))
        cfg._resolve_and_validate(source)
        return cfg

    @classmethod
    def from_json(cls, path: str) -> "ModelConfig":
        with open(path) as fh:
            try:
                d = json.load(fh)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}: not valid JSON: {e}") from None
        return cls.from_dict(d, source=str(path))

    def to_dict(self) -> Dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "hsa"}
        if out["num_upper_groups"] is None:
            del out["num_upper_groups"]
        if self.hsa is not None:
            h = {f.name: getattr(self.hsa, f.name) for f in dataclasses.fields(self.hsa) if f.name != "encoder"}
            h["encoder"] = dataclasses.asdict(self.hsa.encoder)
            out["hsa"] = h
        return out

    def to_json(self, path: str) -> None:
        with open(path, "w") as fh:
            json.dump(self.to_dict(), fh, indent=2)
            fh.write("\n")

    # ---- derived quantities ------------------------------------------------------------------------
    @property
    def is_hsa(self) -> bool:
        return self.architecture == "swa_hsa"

    @property
    def window(self) -> Optional[int]:
        """Effective attention window of the SWA layers: the transformer baseline is always full causal."""
        return None if self.architecture == "transformer" else self.sliding_window

    @property
    def swa_layers_per_group(self) -> int:
        return self.num_upper_layers // self.num_upper_groups

    # ---- validation --------------------------------------------------------------------------------
    def _resolve_and_validate(self, source: str) -> None:
        def bad(key, msg):
            raise ValueError(f"{source}: key '{key}' {msg}")

        for f in dataclasses.fields(self):
            if getattr(self, f.name) is REQUIRED:
                raise ValueError(f"{source}: missing key '{f.name}'")
        if self.architecture not in ARCHITECTURES:
            bad("architecture", f"must be one of {ARCHITECTURES}, got {self.architecture!r}")
        for k in ("vocab_size", "hidden_size", "intermediate_size", "num_attention_heads",
                  "num_key_value_heads", "head_dim"):
            _check_int(getattr(self, k), k, 1, bad)
        for k in ("num_lower_layers", "num_upper_layers"):
            _check_int(getattr(self, k), k, 0, bad)
        _check_number(self.rms_norm_eps, "rms_norm_eps", bad)
        _check_number(self.rope_theta, "rope_theta", bad)
        _check_bool(self.qk_norm, "qk_norm", bad)
        _check_bool(self.tie_word_embeddings, "tie_word_embeddings", bad)
        if self.head_dim % 2:
            bad("head_dim", f"must be even (RoPE pairs i with i + dh/2), got {self.head_dim}")
        if self.num_attention_heads % self.num_key_value_heads:
            bad("num_key_value_heads", f"must divide num_attention_heads={self.num_attention_heads}, "
                f"got {self.num_key_value_heads}")
        if self.sliding_window is not None:
            _check_int(self.sliding_window, "sliding_window", 0, bad)
        elif self.architecture == "swa":
            bad("sliding_window", "must be an integer for architecture swa (null means full attention: "
                "use architecture transformer)")
        if self.num_upper_groups is not None:
            _check_int(self.num_upper_groups, "num_upper_groups", 1, bad)
        if self.is_hsa:
            if self.num_upper_groups is None:
                raise ValueError(f"{source}: missing key 'num_upper_groups' (required for swa_hsa)")
            if self.hsa is None:
                raise ValueError(f"{source}: missing key 'hsa' (required for architecture swa_hsa)")
            if self.num_upper_layers % self.num_upper_groups:
                bad("num_upper_layers", f"must be divisible by num_upper_groups={self.num_upper_groups}, "
                    f"got {self.num_upper_layers}")
        if self.hsa is not None:
            self._validate_hsa(source, bad)

    def _validate_hsa(self, source, bad) -> None:
        h, e = self.hsa, self.hsa.encoder
        for f in dataclasses.fields(h):
            if getattr(h, f.name) is REQUIRED:
                raise ValueError(f"{source}: missing key 'hsa.{f.name}'")
        for k in ("num_kv_heads", "retrieval_dim", "chunk_size", "topk"):
            _check_int(getattr(h, k), "hsa." + k, 1, bad)
        for k in ("single_head_retrieval", "softmax_off_by_one", "qk_norm", "lmk_norm", "fused_swa"):
            _check_bool(getattr(h, k), "hsa." + k, bad)
        if h.weighting not in WEIGHTINGS:
            bad("hsa.weighting", f"must be one of {WEIGHTINGS}, got {h.weighting!r}")
        if h.residual not in RESIDUALS:
            bad("hsa.residual", f"must be one of {RESIDUALS}, got {h.residual!r}")
        if self.num_attention_heads % h.num_kv_heads:
            bad("hsa.num_kv_heads", f"must divide num_attention_heads={self.num_attention_heads}, "
                f"got {h.num_kv_heads}")
        if h.retrieval_dim % h.retrieval_heads:
            bad("hsa.retrieval_dim", f"must be divisible by the {h.retrieval_heads} retrieval heads, "
                f"got {h.retrieval_dim}")
        # Encoder: resolve defaults that depend on the top level, then check.
        if e.heads is None:
            e.heads = self.num_attention_heads
        if e.kv_heads is None:
            e.kv_heads = self.num_key_value_heads
        if e.intermediate_size is None:
            e.intermediate_size = (8 * self.hidden_size // 3) // 64 * 64
        _check_int(e.layers, "hsa.encoder.layers", 0, bad)
        if e.landmark not in LANDMARKS:
            bad("hsa.encoder.landmark", f"must be one of {LANDMARKS}, got {e.landmark!r}")
        _check_int(e.heads, "hsa.encoder.heads", 1, bad)
        _check_int(e.kv_heads, "hsa.encoder.kv_heads", 1, bad)
        _check_int(e.intermediate_size, "hsa.encoder.intermediate_size", 1, bad)
        if e.heads % e.kv_heads:
            bad("hsa.encoder.kv_heads", f"must divide hsa.encoder.heads={e.heads}, got {e.kv_heads}")


def _take_fields(cls, d, prefix, source, skip=()):
    """Copy the keys of `d` that are fields of `cls`; any other key is an error naming its full path."""
    names = {f.name for f in dataclasses.fields(cls)}
    for k in d:
        if k not in names:
            raise ValueError(f"{source}: unknown key '{prefix}{k}'")
    out = {k: v for k, v in d.items() if k not in skip}
    for f in dataclasses.fields(cls):
        if f.default is REQUIRED and f.name not in d:
            raise ValueError(f"{source}: missing key '{prefix}{f.name}'")
    return out


def _check_int(v, key, lo, bad):
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        bad(key, f"must be an integer >= {lo}, got {v!r}")


def _check_number(v, key, bad):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
        bad(key, f"must be a positive number, got {v!r}")


def _check_bool(v, key, bad):
    if not isinstance(v, bool):
        bad(key, f"must be true or false, got {v!r}")


def with_overrides(base: Dict[str, Any], over: Dict[str, Any]) -> Dict[str, Any]:
    """A config.json dict with `over` merged in: keys of `over["hsa"]` and `over["hsa"]["encoder"]` go into the
    nested objects; for the `swa` / `transformer` baselines the HSA keys are dropped (tests and fixtures)."""
    import copy
    d, over = copy.deepcopy(base), copy.deepcopy(over)
    hsa_over = over.pop("hsa", {})
    enc_over = hsa_over.pop("encoder", {})
    d.update(over)
    d["hsa"].update(hsa_over)
    d["hsa"]["encoder"].update(enc_over)
    if d.get("architecture") in ("swa", "transformer"):
        del d["hsa"], d["num_upper_groups"]
    return d

