"""The synthetic reasoning task: `Compute <expr>.`, its step-by-step answer format and grader.

Expressions have 2..4 integer operands in 0..99 joined by + - *, at most two *,
usual precedence, and every intermediate and final value below 100000 in magnitude.

Answer format. Every number in the working is written least-significant digit first
("1776" is written 6771; a minus sign stays in front), because then each digit of a sum or
product depends only on digits at the same place and the carry just written: small
transformers learn that order an order of magnitude faster than the usual one. Only the
boxed answer is written the usual way.

    73*84+51-6                       the expression, digits reversed (37*48+15-6)
    73*84=73*8+73*04=692+0841=6771   first *: x*c = x*(c mod 10) + x*(tens of c), reversed
    =6771+51-6                       the expression with that product substituted
    =1971-6                          no * left: fold the first + or - inline
    =5871
    \\boxed{1785}
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass

LIMIT = 100000
OPS = "+-*"


@dataclass(frozen=True)
class Question:
    operands: tuple[int, ...]
    ops: tuple[str, ...]

    @property
    def expr(self) -> str:
        return render(list(self.operands), list(self.ops))

    @property
    def text(self) -> str:
        return f"Compute {self.expr}."

    @property
    def n_operands(self) -> int:
        return len(self.operands)


def render(nums: list[int], ops: list[str], rev=str) -> str:
    s = rev(nums[0])
    for op, n in zip(ops, nums[1:]):
        s += op + rev(n)
    return s


def rev(n: int) -> str:
    """A number with its digits least-significant first; the sign stays in front."""
    return ("-" if n < 0 else "") + str(abs(n))[::-1]


def multiply_work(x: int, c: int) -> tuple[str, list[int]]:
    """Work line for x*c (reversed digits) and the intermediate values it contains."""
    p = x * c
    if c < 10:
        return f"{rev(x)}*{rev(c)}={rev(p)}", [p]
    lo, hi = c % 10, (c // 10) * 10
    a, b = x * lo, x * hi
    return f"{rev(x)}*{rev(c)}={rev(x)}*{lo}+{rev(x)}*{rev(hi)}={rev(a)}+{rev(b)}={rev(p)}", [a, b, p]


def solve(q: Question) -> tuple[str, int, list[int]]:
    """Return (answer text, value, every intermediate value)."""
    nums, ops = list(q.operands), list(q.ops)
    lines, values = [render(nums, ops, rev)], []
    while ops:
        if "*" in ops:
            i = ops.index("*")
            work, vals = multiply_work(nums[i], nums[i + 1])
            lines.append(work)
            values += vals
            nums[i:i + 2] = [nums[i] * nums[i + 1]]
            del ops[i]
        else:
            a, b = nums[0], nums[1]
            nums[0:2] = [a + b if ops[0] == "+" else a - b]
            values.append(nums[0])
            del ops[0]
        lines.append("=" + render(nums, ops, rev))
    lines.append(f"\\boxed{{{nums[0]}}}")
    return "\n".join(lines), nums[0], values


def valid(q: Question) -> bool:
    return all(abs(v) < LIMIT for v in solve(q)[2])


def sample_question(rng: random.Random, n_operands: int) -> Question:
    while True:
        ops = tuple(rng.choice(OPS) for _ in range(n_operands - 1))
        if ops.count("*") > 2:
            continue
        q = Question(tuple(rng.randint(0, 99) for _ in range(n_operands)), ops)
        if valid(q):
            return q


def prompt_text(question_text: str) -> str:
    """The chat format's user turn (the model sees <s> + this)."""
    return question_text + "\n"


BOXED = re.compile(r"\\boxed\{([^{}]*)\}")


def extract_answer(text: str) -> int | None:
    found = BOXED.findall(text)
    if not found:
        return None
    try:
        return int(found[-1].strip().replace(",", ""))
    except ValueError:
        return None


def is_correct(text: str, answer: int) -> bool:
    return extract_answer(text) == answer


def make_splits(seed: int, n_test_per_count: int, n_dev_per_count: int) -> dict[str, list[Question]]:
    """Seeded dev/test splits, disjoint from each other; train is sampled with `train_sampler`."""
    rng = random.Random(seed)
    seen: set[str] = set()
    splits: dict[str, list[Question]] = {"test": [], "dev": []}
    for name, per in (("test", n_test_per_count), ("dev", n_dev_per_count)):
        for k in (2, 3, 4):
            got = 0
            while got < per:
                q = sample_question(rng, k)
                if q.text in seen:
                    continue
                seen.add(q.text)
                splits[name].append(q)
                got += 1
    return splits


def train_sampler(seed: int, held_out: set[str]):
    """Endless seeded train questions (operand counts uniform), never in dev/test."""
    rng = random.Random(seed)
    while True:
        q = sample_question(rng, rng.choice((2, 3, 4)))
        if q.text not in held_out:
            yield q


def write_jsonl(path: str, questions: list[Question]) -> None:
    with open(path, "w") as f:
        for q in questions:
            f.write(json.dumps({"question": q.text, "answer": str(solve(q)[1]), "level": q.n_operands}) + "\n")
