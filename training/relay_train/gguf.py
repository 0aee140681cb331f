"""Minimal GGUF v3 writer for the llama architecture (F32 tensors), and the matching reader
used by tests. Keys and tokenizer form follow what llama.cpp (node-llama-cpp 3.21.1) loads."""
from __future__ import annotations

import struct

import numpy as np

from .model import Llama
from .tokenizer import BOS, BYTE_TOKENS, EOS, VOCAB_SIZE, gguf_token_strings

ALIGN = 32
T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR = 4, 5, 6, 7, 8, 9
GGML_F32 = 0
TOKEN_NORMAL, TOKEN_CONTROL = 1, 3


def _str(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value(kind: int, v) -> bytes:
    if kind == T_U32:
        return struct.pack("<I", v)
    if kind == T_I32:
        return struct.pack("<i", v)
    if kind == T_F32:
        return struct.pack("<f", v)
    if kind == T_BOOL:
        return struct.pack("<?", v)
    if kind == T_STR:
        return _str(v)
    raise ValueError(kind)


def _kv(key: str, kind: int, v, elem: int | None = None) -> bytes:
    out = _str(key) + struct.pack("<I", kind)
    if kind == T_ARR:
        out += struct.pack("<IQ", elem, len(v)) + b"".join(_value(elem, x) for x in v)
    else:
        out += _value(kind, v)
    return out


def _pad(n: int) -> int:
    return (ALIGN - n % ALIGN) % ALIGN


def tensors_of(model: Llama) -> list[tuple[str, np.ndarray]]:
    f = lambda t: t.detach().float().contiguous().numpy()
    out = [("token_embd.weight", f(model.tok_emb.weight))]
    for i, b in enumerate(model.blocks):
        p = f"blk.{i}."
        out += [(p + "attn_norm.weight", f(b.attn_norm.weight)), (p + "attn_q.weight", f(b.wq.weight)),
                (p + "attn_k.weight", f(b.wk.weight)), (p + "attn_v.weight", f(b.wv.weight)),
                (p + "attn_output.weight", f(b.wo.weight)), (p + "ffn_norm.weight", f(b.ffn_norm.weight)),
                (p + "ffn_gate.weight", f(b.w_gate.weight)), (p + "ffn_up.weight", f(b.w_up.weight)),
                (p + "ffn_down.weight", f(b.w_down.weight))]
    out += [("output_norm.weight", f(model.norm.weight)), ("output.weight", f(model.out.weight))]
    return out


def write_gguf(path: str, model: Llama, name: str) -> None:
    c = model.cfg
    tokens = gguf_token_strings()
    types = [TOKEN_NORMAL] * BYTE_TOKENS + [TOKEN_CONTROL] * (VOCAB_SIZE - BYTE_TOKENS)
    meta = [
        _kv("general.architecture", T_STR, "llama"), _kv("general.name", T_STR, name),
        _kv("general.alignment", T_U32, ALIGN), _kv("general.file_type", T_U32, 0),
        _kv("llama.vocab_size", T_U32, c.vocab_size), _kv("llama.context_length", T_U32, c.max_seq_len),
        _kv("llama.embedding_length", T_U32, c.dim), _kv("llama.block_count", T_U32, c.n_layers),
        _kv("llama.feed_forward_length", T_U32, c.ffn_dim), _kv("llama.attention.head_count", T_U32, c.n_heads),
        _kv("llama.attention.head_count_kv", T_U32, c.n_heads),
        _kv("llama.rope.dimension_count", T_U32, c.head_dim),
        _kv("llama.attention.layer_norm_rms_epsilon", T_F32, c.norm_eps),
        _kv("llama.rope.freq_base", T_F32, c.rope_base),
        _kv("tokenizer.ggml.model", T_STR, "gpt2"), _kv("tokenizer.ggml.pre", T_STR, "default"),
        _kv("tokenizer.ggml.tokens", T_ARR, tokens, T_STR),
        _kv("tokenizer.ggml.token_type", T_ARR, types, T_I32),
        _kv("tokenizer.ggml.merges", T_ARR, [], T_STR),
        _kv("tokenizer.ggml.bos_token_id", T_U32, BOS), _kv("tokenizer.ggml.eos_token_id", T_U32, EOS),
        _kv("tokenizer.ggml.unknown_token_id", T_U32, EOS),
        _kv("tokenizer.ggml.add_bos_token", T_BOOL, False), _kv("tokenizer.ggml.add_eos_token", T_BOOL, False),
    ]
    tensors = tensors_of(model)
    infos, offset = [], 0
    for name_, arr in tensors:
        dims = list(reversed(arr.shape))  # ggml ne[0] is the innermost (row) dimension
        infos.append(_str(name_) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
                     + struct.pack("<IQ", GGML_F32, offset))
        offset += arr.nbytes + _pad(arr.nbytes)
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta)) + b"".join(meta) + b"".join(infos)
    with open(path, "wb") as f:
        f.write(header + b"\0" * _pad(len(header)))
        for _, arr in tensors:
            data = arr.astype("<f4").tobytes()
            f.write(data + b"\0" * _pad(len(data)))
