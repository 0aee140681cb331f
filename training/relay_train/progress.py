"""Progress display (one live line on a terminal) plus a plain-text log file."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, log_path: str):
        self.log = open(log_path, "a", buffering=1)
        self.t0 = time.time()
        self.tty = sys.stdout.isatty()
        self.stage = ""
        self._last_line = 0.0

    def begin(self, stage: str) -> None:
        self.stage = stage
        self.info(f"== {stage}")

    def info(self, msg: str) -> None:
        line = f"[{time.time() - self.t0:7.1f}s] {msg}"
        self.log.write(line + "\n")
        print(("\r\033[K" if self.tty else "") + line, flush=True)

    def __call__(self, done: int, total: int, msg: str = "") -> None:
        elapsed = time.time() - self.t0
        frac = done / max(1, total)
        bar = "#" * int(frac * 24)
        line = f"[{elapsed:7.1f}s] {self.stage:<16} [{bar:<24}] {done}/{total} {msg}"
        now = time.time()
        if now - self._last_line > 10 or done == total:
            self.log.write(line + "\n")
            self._last_line = now
            if not self.tty:
                print(line, flush=True)
        if self.tty:
            print("\r\033[K" + line, end="" if done < total else "\n", flush=True)
