import type { TrainEvent } from "@layerlab/spec";

/** What one progress line shows. */
export interface ProgressState {
  epoch: number;
  epochs: number;
  /** Steps done in this epoch and steps per epoch. */
  done: number;
  total: number;
  elapsedSeconds: number;
  samplesPerSec: number;
  loss: number;
  accuracy: number;
}

/** `mm:ss`, or `h:mm:ss` past an hour (as TQDM writes times). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(Number.isFinite(seconds) ? seconds : 0));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh > 0 ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${String(mm).padStart(2, "0")}:${ss}`;
}

/**
 * A TQDM-style line:
 * `epoch 2/5 |████████░░| 712/844 [00:04<00:00, 11532.1 samples/s, loss=0.231, acc=93.1%]`.
 */
export function formatProgress(p: ProgressState, width = 20): string {
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(fraction * width);
  const bar = "█".repeat(filled) + "░".repeat(width - filled);
  const eta = p.done > 0 ? (p.elapsedSeconds / p.done) * (p.total - p.done) : 0;
  return (
    `epoch ${p.epoch}/${p.epochs} |${bar}| ${p.done}/${p.total} ` +
    `[${formatDuration(p.elapsedSeconds)}<${formatDuration(eta)}, ${p.samplesPerSec.toFixed(1)} samples/s, ` +
    `loss=${p.loss.toFixed(3)}, acc=${(p.accuracy * 100).toFixed(1)}%]`
  );
}

const percent = (x: number | null) => (x === null ? "–" : `${(x * 100).toFixed(2)}%`);
const fixed = (x: number | null) => (x === null ? "–" : x.toFixed(4));

/** Draws training events on a stream: a redrawn bar on a TTY, one plain line per epoch otherwise. */
export class ProgressRenderer {
  private epochs = 0;
  private stepsPerEpoch = 0;
  private epochStart = Date.now();
  private currentEpoch = 0;
  private last: ProgressState | null = null;

  constructor(private readonly out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean }) {}

  private get tty(): boolean {
    return Boolean(this.out.isTTY);
  }

  /** Renders one event. */
  onEvent(e: TrainEvent): void {
    switch (e.type) {
      case "start":
        this.epochs = e.epochs;
        this.stepsPerEpoch = e.stepsPerEpoch;
        this.epochStart = e.time;
        this.out.write(
          `${e.resumedFromEpoch !== undefined ? `resuming after epoch ${e.resumedFromEpoch}: ` : ""}` +
            `${e.paramCount.toLocaleString("en")} parameters, ${e.trainSamples} training / ${e.valSamples} validation samples, backend ${e.backend}\n`,
        );
        break;
      case "batch": {
        if (e.epoch !== this.currentEpoch) this.currentEpoch = e.epoch;
        const done = e.step - (e.epoch - 1) * this.stepsPerEpoch;
        this.last = {
          epoch: e.epoch,
          epochs: this.epochs,
          done,
          total: this.stepsPerEpoch,
          elapsedSeconds: (e.time - this.epochStart) / 1000,
          samplesPerSec: e.samplesPerSec,
          loss: e.loss,
          accuracy: e.accuracy,
        };
        if (this.tty) this.out.write(`\r${formatProgress(this.last)}\x1b[K`);
        break;
      }
      case "epoch": {
        const line =
          this.last && this.last.epoch === e.epoch ? formatProgress({ ...this.last, done: this.last.total }) : null;
        if (line) this.out.write(this.tty ? `\r${line}\x1b[K\n` : `${line}\n`);
        this.out.write(
          `  epoch ${e.epoch}: train loss ${fixed(e.trainLoss)} acc ${percent(e.trainAccuracy)} | ` +
            `val loss ${fixed(e.valLoss)} acc ${percent(e.valAccuracy)} | lr ${e.learningRate.toPrecision(3)} | ${e.seconds.toFixed(1)} s\n`,
        );
        this.epochStart = e.time;
        this.last = null;
        break;
      }
      case "log":
        this.out.write(`${this.tty && this.last ? "\n" : ""}${e.level}: ${e.message}\n`);
        break;
      case "done":
        this.out.write(
          `done in ${e.seconds.toFixed(1)} s: test loss ${fixed(e.testLoss)}, test accuracy ${percent(e.testAccuracy)}` +
            `${e.stoppedEarly ? " (stopped early)" : ""}\n`,
        );
        break;
      case "aborted":
        this.out.write(`${this.tty ? "\n" : ""}aborted in epoch ${e.epoch}: ${e.reason}\n`);
        break;
      case "diverged":
      case "error":
        if (this.tty && this.last) this.out.write("\n");
        break;
      default:
        break;
    }
  }
}
