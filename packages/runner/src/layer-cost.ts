import { currentBackend, initBackend, measureLayerCost } from "@layerlab/engine";
import { type LayerCost, ModelSpec, TrainingConfig } from "@layerlab/spec";
import { jsonText, RUN_FILES, readRunJson, writeRunFile } from "./files";
import { effectiveStatus, type RunInfo, readRunInfo } from "./run-info";

/** Measurements this process has made, by model, batch size and backend: the same model is measured once. */
const measured = new Map<string, Promise<LayerCost>>();
/** How many measurements are kept; the oldest is dropped beyond. */
const KEEP_MEASUREMENTS = 32;

/**
 * A run's per-layer cost, measured once when it starts training, kept short
 * so that it adds seconds to a CNN's run: per-layer times at the run's batch
 * size over 3 rounds, and inference latency at batch 1 only (a batch of a
 * conv net's forward alone costs about a training step on Wasm, and the
 * builder measures it on request). A model this process has already measured
 * at that batch size gets the earlier measurement (its `measuredAt` says
 * when). Returns why it failed instead of throwing: a run never fails for
 * want of this measurement.
 */
export async function measureRunCost(
  spec: ModelSpec,
  batchSize: number,
  signal?: AbortSignal,
): Promise<{ cost: LayerCost } | { problem: string }> {
  await initBackend();
  const key = JSON.stringify([spec.input, spec.layers, batchSize, currentBackend()]);
  let cost = measured.get(key);
  if (!cost) {
    cost = measureLayerCost(spec, {
      batchSize,
      repeats: 3,
      warmup: 1,
      latencyBatchSizes: [1],
      latencyRepeats: 10,
      ...(signal && { signal }),
    });
    measured.set(key, cost);
    if (measured.size > KEEP_MEASUREMENTS) measured.delete(measured.keys().next().value!);
  }
  try {
    return { cost: await cost };
  } catch (err) {
    // A failed or aborted measurement is not kept: the next run of the model tries again.
    if (measured.get(key) === cost) measured.delete(key);
    return { problem: err instanceof Error ? err.message : String(err) };
  }
}

/** Statuses whose folder nothing else writes to any more. */
const SETTLED = new Set(["succeeded", "failed", "aborted", "diverged", "interrupted"]);

/**
 * Measures a settled run's per-layer cost on this machine into its run.json, when it has none yet: what a
 * report shows. Measured on demand rather than when training starts, so a run that is never reported on
 * pays nothing. A run still training, or one whose run.json changed meanwhile, is left as it is; a failed
 * measurement leaves the report saying the times were not measured.
 */
export async function ensureRunCost(dir: string): Promise<LayerCost | null> {
  const info = await readRunInfo(dir);
  if (info.layerCost) return info.layerCost;
  if (!SETTLED.has(effectiveStatus(info))) return null;
  const spec = ModelSpec.parse(await readRunJson(dir, RUN_FILES.spec));
  const config = TrainingConfig.parse(await readRunJson(dir, RUN_FILES.config));
  const measured = await measureRunCost(spec, config.batchSize);
  if ("problem" in measured) return null;
  const now = await readRunInfo(dir);
  if (JSON.stringify(now) !== JSON.stringify(info)) return null;
  const updated: RunInfo = { ...now, layerCost: measured.cost };
  await writeRunFile(dir, RUN_FILES.run, jsonText(updated));
  return measured.cost;
}
