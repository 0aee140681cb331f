/** Where progress goes (stderr): a TTY gets one redrawn line, anything else a line per 10 %. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const clock = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (v: number): string => String(v).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
};

/** A progress bar with rate (items/s, over this run) and ETA. */
export class ProgressBar {
  private done: number;
  private correct = 0;
  private readonly startedAt: number;
  private readonly startDone: number;
  private lastDraw = 0;
  private lastDecile = -1;

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
    already: number,
    private readonly label: string,
    private readonly now: () => number = Date.now,
  ) {
    this.done = already;
    this.startDone = already;
    this.startedAt = now();
  }

  /** The line as it is drawn (exported for tests). */
  line(): string {
    const width = 24;
    const frac = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(frac * width);
    const elapsed = (this.now() - this.startedAt) / 1000;
    const ran = this.done - this.startDone;
    const rate = elapsed > 0 ? ran / elapsed : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : Number.POSITIVE_INFINITY;
    const acc = ran > 0 ? ` acc ${(this.correct / ran).toFixed(3)}` : '';
    return (
      `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} ` +
      `${(frac * 100).toFixed(0)}% ${rate.toFixed(2)} it/s ETA ${clock(eta)}${acc}`
    );
  }

  tick(correct: boolean): void {
    this.done++;
    if (correct) this.correct++;
    this.draw(false);
  }

  draw(force: boolean): void {
    if (this.stream.isTTY === true) {
      const t = this.now();
      if (!force && t - this.lastDraw < 100 && this.done < this.total) return;
      this.lastDraw = t;
      this.stream.write(`\r${this.line()}\x1b[K`);
      return;
    }
    const decile = this.total === 0 ? 10 : Math.floor((this.done / this.total) * 10);
    if (force || decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.stream.write(`${this.line()}\n`);
    }
  }

  finish(): void {
    if (this.stream.isTTY === true) {
      this.draw(true);
      this.stream.write('\n');
    } else if (this.lastDecile !== 10) this.draw(true);
  }
}
