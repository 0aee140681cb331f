"""Llama-architecture decoder (RMSNorm, RoPE in llama.cpp's layout, SwiGLU, no biases).

RoPE rotates adjacent pairs (x[2i], x[2i+1]) exactly as llama.cpp's llama
architecture does, so the GGUF export needs no Q/K permutation.
`step` decodes one token per sequence with a per-sequence position and KV cache,
which lets rollouts run many relay transcripts in lockstep.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int
    dim: int
    n_layers: int
    n_heads: int
    ffn_dim: int
    max_seq_len: int
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads


# 1M float32 scores = 4 MiB, well below glibc's mmap threshold (at most 32 MiB) and cache-friendly.
ATTENTION_SLICE_ELEMENTS = 1 << 20


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg: ModelConfig):
    half = cfg.head_dim // 2
    inv = cfg.rope_base ** (-torch.arange(0, half, dtype=torch.float64) * 2 / cfg.head_dim)
    ang = torch.arange(cfg.max_seq_len, dtype=torch.float64)[:, None] * inv[None, :]
    return ang.cos().float(), ang.sin().float()


def apply_rope(x, cos, sin):
    """x: [B, H, T, D]; cos/sin: [B or 1, 1, T, D/2]. Adjacent-pair rotation."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    r0 = x0 * cos - x1 * sin
    r1 = x0 * sin + x1 * cos
    return torch.stack((r0, r1), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d, f = cfg.dim, cfg.ffn_dim
        self.cfg = cfg
        self.attn_norm = RMSNorm(d, cfg.norm_eps)
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg.norm_eps)
        self.w_gate = nn.Linear(d, f, bias=False)
        self.w_up = nn.Linear(d, f, bias=False)
        self.w_down = nn.Linear(f, d, bias=False)

    def heads(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.cfg.n_heads, self.cfg.head_dim).transpose(1, 2)

    def attention(self, q, k, v, mask):
        """Causal attention, computed a slice of the batch at a time so that no score tensor
        exceeds ATTENTION_SLICE_ELEMENTS. Each sequence's scores depend on it alone, so the result
        is bit-identical to the whole batch at once; the whole batch of a long warm-up or GRPO
        batch made tensors above glibc's 32 MiB mmap ceiling, which every step maps, zero-fills
        and unmaps again: 64 sequences of 202 tokens trained 5x slower than four slices of 16."""
        b, rows = q.shape[0], max(1, ATTENTION_SLICE_ELEMENTS // (q.shape[1] * q.shape[2] * k.shape[2]))
        if rows >= b:
            return self._attention(q, k, v, mask)
        per_row = mask.dim() == 4 and mask.shape[0] == b       # step's mask has a row per sequence
        return torch.cat([self._attention(q[i:i + rows], k[i:i + rows], v[i:i + rows],
                                          mask[i:i + rows] if per_row else mask) for i in range(0, b, rows)])

    def _attention(self, q, k, v, mask):
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.cfg.head_dim)
        att = att.masked_fill(~mask, float("-inf"))
        return F.softmax(att, dim=-1) @ v

    def mlp(self, x):
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))

    def forward(self, x, cos, sin, mask):
        h = self.attn_norm(x)
        q = apply_rope(self.heads(self.wq(h)), cos, sin)
        k = apply_rope(self.heads(self.wk(h)), cos, sin)
        y = self.attention(q, k, self.heads(self.wv(h)), mask)
        x = x + self.wo(y.transpose(1, 2).reshape(x.shape))
        return self.mlp(x)

    def step(self, x, cos, sin, cache_k, cache_v, pos, mask):
        """x: [B,1,d]; writes this token's K/V at `pos` of each sequence's cache."""
        h = self.attn_norm(x)
        q = apply_rope(self.heads(self.wq(h)), cos, sin)
        k = apply_rope(self.heads(self.wk(h)), cos, sin)
        v = self.heads(self.wv(h))
        rows = torch.arange(x.shape[0])
        cache_k[rows, :, pos] = k[:, :, 0]
        cache_v[rows, :, pos] = v[:, :, 0]
        seen = mask.shape[-1]           # the positions any sequence has reached: the rest is masked anyway
        y = self.attention(q, cache_k[:, :, :seen], cache_v[:, :, :seen], mask)
        x = x + self.wo(y.transpose(1, 2).reshape(x.shape))
        return self.mlp(x)


class Llama(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.out = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        cos, sin = rope_tables(cfg)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init)
        for b in self.blocks:
            nn.init.normal_(b.wo.weight, std=0.02 / math.sqrt(2 * cfg.n_layers))
            nn.init.normal_(b.w_down.weight, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, tokens):
        """tokens: [B, T] (right padded) -> logits [B, T, V]."""
        t = tokens.shape[1]
        cos, sin = self.rope_cos[None, None, :t], self.rope_sin[None, None, :t]
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        x = self.tok_emb(tokens)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return self.out(self.norm(x))

    def new_cache(self, batch: int, length: int):
        shape = (batch, self.cfg.n_heads, length, self.cfg.head_dim)
        return [(torch.zeros(shape), torch.zeros(shape)) for _ in self.blocks]

    @torch.no_grad()
    def step(self, tokens, pos, cache):
        """One token per sequence: tokens [B], pos [B] (its position) -> logits [B, V]."""
        # Attend over the cache up to the furthest position only: a rollout's cache is sized for its
        # longest possible transcript, and reading all of it every step cost most of the decoding time.
        seen = int(pos.max()) + 1
        cos = self.rope_cos[pos][:, None, None, :]
        sin = self.rope_sin[pos][:, None, None, :]
        mask = (torch.arange(seen)[None, :] <= pos[:, None])[:, None, None, :]
        x = self.tok_emb(tokens)[:, None, :]
        for b, (ck, cv) in zip(self.blocks, cache):
            x = b.step(x, cos, sin, ck, cv, pos, mask)
        return self.out(self.norm(x))[:, 0]
