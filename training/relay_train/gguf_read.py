"""Reads the F32 llama GGUF files `gguf.py` writes back into a PyTorch `Llama`.

The shipped pair keeps only GGUF files (models/reference/{slm,llm}.gguf and stages/*/slm.gguf),
so experiments that start from a shipped stage (GRPO from the warm-up, ablations) load them here.
"""
from __future__ import annotations

import struct

import numpy as np
import torch

from .gguf import ALIGN, GGML_F32, T_ARR, T_BOOL, T_F32, T_I32, T_STR, T_U32
from .model import Llama, ModelConfig
from .tokenizer import VOCAB_SIZE

_SCALARS = {T_U32: "<I", T_I32: "<i", T_F32: "<f", T_BOOL: "<?", 10: "<Q", 11: "<q", 12: "<d", 0: "<B",
            1: "<b", 2: "<H", 3: "<h"}


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        v = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def string(self) -> str:
        n = self.take("<Q")
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def value(self, kind: int):
        if kind == T_STR:
            return self.string()
        if kind == T_ARR:
            elem, n = self.take("<I"), self.take("<Q")
            return [self.value(elem) for _ in range(n)]
        if kind not in _SCALARS:
            raise ValueError(f"GGUF metadata type {kind} is not supported")
        return self.take(_SCALARS[kind])


def read_gguf(path: str) -> tuple[dict, dict[str, np.ndarray]]:
    """(metadata, tensors by name) of an F32 GGUF v3 file."""
    with open(path, "rb") as f:
        data = f.read()
    r = _Reader(data)
    if data[:4] != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    r.pos = 4
    version, n_tensors, n_meta = r.take("<IQQ")
    if version != 3:
        raise ValueError(f"{path}: GGUF version {version}, expected 3")
    meta = {}
    for _ in range(n_meta):
        key = r.string()
        meta[key] = r.value(r.take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.take("<Q") for _ in range(r.take("<I"))]
        kind, offset = r.take("<IQ")
        if kind != GGML_F32:
            raise ValueError(f"{path}: tensor {name} is not F32")
        infos.append((name, dims, offset))
    base = r.pos + (ALIGN - r.pos % ALIGN) % ALIGN
    tensors = {}
    for name, dims, offset in infos:
        count = int(np.prod(dims))
        arr = np.frombuffer(data, dtype="<f4", count=count, offset=base + offset)
        tensors[name] = arr.reshape(list(reversed(dims))).copy()
    return meta, tensors


def _f32(x: float) -> float:
    """The Python float the model was configured with (GGUF stores it as float32: 1e-5 -> 9.99999975e-06)."""
    return float(f"{x:.7g}")


def load_llama(path: str, max_seq_len: int | None = None) -> Llama:
    """A `Llama` in eval mode with the weights and shape of the GGUF file at `path`."""
    meta, tensors = read_gguf(path)
    cfg = ModelConfig(VOCAB_SIZE, meta["llama.embedding_length"], meta["llama.block_count"],
                      meta["llama.attention.head_count"], meta["llama.feed_forward_length"],
                      max_seq_len or meta["llama.context_length"], _f32(meta["llama.rope.freq_base"]),
                      _f32(meta["llama.attention.layer_norm_rms_epsilon"]))
    model = Llama(cfg)
    names = {"token_embd.weight": "tok_emb.weight", "output_norm.weight": "norm.weight", "output.weight": "out.weight"}
    per_block = {"attn_norm": "attn_norm", "attn_q": "wq", "attn_k": "wk", "attn_v": "wv", "attn_output": "wo",
                 "ffn_norm": "ffn_norm", "ffn_gate": "w_gate", "ffn_up": "w_up", "ffn_down": "w_down"}
    for i in range(cfg.n_layers):
        for g, t in per_block.items():
            names[f"blk.{i}.{g}.weight"] = f"blocks.{i}.{t}.weight"
    state = {names[k]: torch.from_numpy(v) for k, v in tensors.items()}
    model.load_state_dict(state)
    return model.eval()
