import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type CurveMetrics, curvesPng } from "@layerlab/runner";
import { HttpError } from "../http-error";

/*
 * curves.png of a run: its loss and accuracy per epoch drawn from
 * metrics.json on request. The picture is cached per run, keyed on
 * metrics.json's identity on disk (inode, size, times): metrics.json is
 * replaced by a rename at every epoch end, so a new epoch always draws anew.
 */

/** How many runs' pictures stay cached; the oldest goes first. */
const CACHE_RUNS = 32;
const cache = new Map<string, { key: string; png: Buffer }>();

const isNumberArray = (xs: unknown): boolean =>
  Array.isArray(xs) && xs.every((x) => x === null || typeof x === "number");

/** The run's curves as PNG bytes; a 404 when it has no metrics.json or no finished epoch. */
export async function runCurvesPng(runId: string, dir: string, title: string): Promise<Buffer> {
  const path = join(dir, "metrics.json");
  const info = await stat(path, { bigint: true }).catch(() => null);
  if (!info) {
    throw new HttpError(
      404,
      `run ${runId} has no metrics.json (it has finished no epoch here, or was imported), so there are no curves to draw`,
    );
  }
  const key = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
  const cached = cache.get(runId);
  if (cached?.key === key) return cached.png;
  let metrics: Partial<CurveMetrics>;
  try {
    metrics = JSON.parse(await readFile(path, "utf8")) as Partial<CurveMetrics>;
  } catch (err) {
    throw new HttpError(409, `run ${runId}'s metrics.json is not JSON (${(err as Error).message}); it cannot be drawn`);
  }
  const columns = ["train_loss", "train_acc", "val_loss", "val_acc"] as const;
  if (!columns.every((c) => isNumberArray(metrics[c]))) {
    throw new HttpError(409, `run ${runId}'s metrics.json lacks the per-epoch ${columns.join(", ")} arrays`);
  }
  if ((metrics.train_loss ?? []).length === 0) {
    throw new HttpError(404, `run ${runId} has finished no epoch yet; ask for curves.png after the first`);
  }
  const png = await curvesPng(metrics as CurveMetrics, title);
  cache.delete(runId);
  cache.set(runId, { key, png });
  if (cache.size > CACHE_RUNS) cache.delete(cache.keys().next().value!);
  return png;
}
