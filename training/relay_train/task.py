"""The synthetic reasoning task: `Compute <expr>.`, its step-by-step answer format and grader.

Expressions have 2..4 integer operands in 0..99 joined by + - *, at most two *,
usual precedence, and every intermediate and final value below 100000 in magnitude.

Answer format. The expression lines use ordinary numbers; each computation is a line of its
own where numbers are written in a fixed width of five digits, least-significant digit first,
with a sign in front of signed values ("+67710" is 1776). Then every digit of a result sits at
a fixed distance from the digits it depends on, and the carry is the digit just written: a
small transformer learns that layout an order of magnitude faster than ordinary arithmetic.

    37*48+15-6                 the expression
    73000*8=69200              first *: x times the ones digit of c ...
    73000*04=08410             ... x times the tens of c (40, written reversed) ...
    69200+08410=67710          ... and their sum
    =1776+15-6                 the expression with the product substituted
    +67710+51000=+19710        no * left: the first + or -, signed
    =1791-6
    +19710-60000=+58710
    =1785
    \\boxed{1785}

The lookup variant (`Lookup`, off unless a role config's "lookup" or an experiment's --lookup sets it
with `use_lookup`) writes one operand of each question as f(key), a value from a seeded table, and
looks it up on the answer's second line (`f(361)=3`, then `=3+97`), so the answer has one step that is
knowledge rather than computation. A model's SFT stream can ask only part of the table
(`sft.train_keys_below`) while dev and test ask all of it: facts one model's data holds and the
other's lacks.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field

LIMIT = 100000
OPS = "+-*"


@dataclass(frozen=True)
class Lookup:
    """A table the answer looks facts up in: f(key) for keys lo..hi-1, each a value low..99 drawn
    once from `seed` (low 0 by default; with 10 every value has two digits, so a model that does not
    hold a value still knows where it ends). It gives the task a step that is knowledge rather than
    computation: how much of the table a model holds depends on its size, its training and the
    table's size (the training README, "Measured on 2026-12-06"), and a call for a value costs the
    teacher two tokens. `f(key)` replaces one operand of every question; the answer's second line
    looks it up."""
    lo: int
    hi: int
    seed: int = 7
    low: int = 0
    table: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if not 0 <= self.lo < self.hi:
            raise ValueError(f"lookup keys {self.lo}:{self.hi}: expected 0 <= lo < hi")
        if not 0 <= self.low <= 99:
            raise ValueError(f"lookup values from {self.low}: expected 0..99")
        rng = random.Random(self.seed)
        object.__setattr__(self, "table", tuple(rng.randint(self.low, 99) for _ in range(self.hi - self.lo)))

    def value(self, key: int) -> int:
        return self.table[key - self.lo]


# The task variant this process trains and grades: None is the shipped task (no lookups). An
# experiment's command line sets it once, before any question is drawn (`use_lookup`).
_LOOKUP: Lookup | None = None


def use_lookup(spec: Lookup | None) -> None:
    global _LOOKUP
    _LOOKUP = spec


def lookup_in_use() -> Lookup | None:
    return _LOOKUP


def check_keys_below(keys_below: int) -> None:
    """A train stream's key bound (0: every key) fits the variant in use: one inside its table."""
    if keys_below and (_LOOKUP is None or not _LOOKUP.lo < keys_below <= _LOOKUP.hi):
        table = "no lookup table" if _LOOKUP is None else f"keys {_LOOKUP.lo}:{_LOOKUP.hi}"
        raise ValueError(f"train_keys_below {keys_below}: expected 0 or a bound inside the table ({table})")


def parse_lookup(text: str) -> Lookup:
    """`LO:HI` (keys LO..HI-1, values 0..99) or `LO:HI:LOW` (values LOW..99) from a command line."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError(f"--lookup {text!r}: expected LO:HI or LO:HI:LOW, e.g. 100:1000 or 1000:2500:10")
    lo, hi, *low = (int(p) for p in parts)
    return Lookup(lo, hi, low=low[0] if low else 0)


@dataclass(frozen=True)
class Question:
    operands: tuple[int, ...]
    ops: tuple[str, ...]
    # Per operand: the lookup key it is written as (`f(key)`), or None; empty when no operand is.
    keys: tuple[int | None, ...] = ()

    @property
    def expr(self) -> str:
        return render(list(self.operands), list(self.ops), list(self.keys))

    @property
    def text(self) -> str:
        return f"Compute {self.expr}."

    @property
    def n_operands(self) -> int:
        return len(self.operands)


def render(nums: list[int], ops: list[str], keys: list[int | None] | None = None) -> str:
    shown = [str(n) if not keys or keys[i] is None else f"f({keys[i]})" for i, n in enumerate(nums)]
    s = shown[0]
    for op, n in zip(ops, shown[1:]):
        s += op + n
    return s


WIDTH = 5


def col(n: int) -> str:
    """Unsigned working form: five digits, least-significant first (1776 -> 67710)."""
    return str(n).zfill(WIDTH)[::-1]


def scol(n: int) -> str:
    """Signed working form: sign, then five digits least-significant first."""
    return ("-" if n < 0 else "+") + col(abs(n))


def multiply_work(x: int, c: int) -> tuple[list[str], list[int]]:
    """Working lines for x*c (x >= 0, c in 0..99) and the intermediate values."""
    lo, hi = c % 10, c // 10
    a = x * lo
    if c < 10:
        return [f"{col(x)}*{lo}={col(a)}"], [a]
    b = x * hi * 10
    return [f"{col(x)}*{lo}={col(a)}", f"{col(x)}*0{hi}={col(b)}", f"{col(a)}+{col(b)}={col(a + b)}"], [a, b, a + b]


def solve(q: Question) -> tuple[str, int, list[int]]:
    """Return (answer text, value, every intermediate value)."""
    nums, ops = list(q.operands), list(q.ops)
    lines, values = [q.expr], []
    if q.keys:
        lines += [f"f({k})={n}" for k, n in zip(q.keys, nums) if k is not None]
        lines.append("=" + render(nums, ops))
    while ops:
        if "*" in ops:
            i = ops.index("*")
            work, vals = multiply_work(nums[i], nums[i + 1])
            lines += work
            values += vals
            nums[i:i + 2] = [nums[i] * nums[i + 1]]
            del ops[i]
        else:
            a, b = nums[0], nums[1]
            r = a + b if ops[0] == "+" else a - b
            lines.append(f"{scol(a)}{ops[0]}{col(b)}={scol(r)}")
            values.append(r)
            nums[0:2] = [r]
            del ops[0]
        lines.append("=" + render(nums, ops))
    lines.append(f"\\boxed{{{nums[0]}}}")
    return "\n".join(lines), nums[0], values


def valid(q: Question) -> bool:
    return all(abs(v) < LIMIT for v in solve(q)[2])


def sample_question(rng: random.Random, n_operands: int, keys_below: int = 0) -> Question:
    """A valid question with `n_operands` operands; in the lookup variant one is f(key), key below
    `keys_below` unless it is 0."""
    while True:
        ops = tuple(rng.choice(OPS) for _ in range(n_operands - 1))
        if ops.count("*") > 2:
            continue
        q = Question(tuple(rng.randint(0, 99) for _ in range(n_operands)), ops)
        if _LOOKUP is not None:
            q = with_lookup(rng, q, _LOOKUP, keys_below)
        if valid(q):
            return q


def with_lookup(rng: random.Random, q: Question, spec: Lookup, keys_below: int = 0) -> Question:
    """`q` with one operand, drawn at random, replaced by f(key) for a random key (below `keys_below`
    unless it is 0)."""
    i, key = rng.randrange(q.n_operands), rng.randrange(spec.lo, keys_below or spec.hi)
    operands = list(q.operands)
    operands[i] = spec.value(key)
    return Question(tuple(operands), q.ops, tuple(key if j == i else None for j in range(q.n_operands)))


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


def train_sampler(seed: int, held_out: set[str], keys_below: int = 0):
    """Endless seeded train questions (operand counts uniform), never in dev/test. In the lookup
    variant, `keys_below` (not 0) keeps the stream's keys below it while dev and test ask all of the
    table: a model whose data holds part of what the other model's does (`check_keys_below`)."""
    check_keys_below(keys_below)
    rng = random.Random(seed)
    while True:
        q = sample_question(rng, rng.choice((2, 3, 4)), keys_below)
        if q.text not in held_out:
            yield q


def write_jsonl(path: str, questions: list[Question]) -> None:
    with open(path, "w") as f:
        for q in questions:
            f.write(json.dumps({"question": q.text, "answer": str(solve(q)[1]), "level": q.n_operands}) + "\n")


_DIGIT_IDS = frozenset(range(ord("0"), ord("9") + 1))
_SIGN_IDS = frozenset((ord("+"), ord("-")))


def number_length(toks: list[int], t: int) -> int:
    """How many tokens of a number are left from toks[t] on: its digits, and a sign right after
    `=` (the signed working form `=+19710`); 0 when toks[t] is not part of a number."""
    end = t + 1 if toks[t] in _SIGN_IDS and t > 0 and toks[t - 1] == ord("=") else t
    while end < len(toks) and toks[end] in _DIGIT_IDS:
        end += 1
    return end - t if end > t and toks[end - 1] in _DIGIT_IDS else 0
