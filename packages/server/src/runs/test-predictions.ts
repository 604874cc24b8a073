import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { TestPredictions } from "@layerlab/api";
import { jsonText, RUN_FILES, writeRunFile } from "@layerlab/runner";
import type { ModelSpec, TestReport } from "@layerlab/spec";
import { type ServedDatasets, servedTestFile } from "../datasets/served-files";
import type { RunRow } from "../db/schema";
import { HttpError } from "../http-error";
import { predictTestSplitOffThread } from "../inference/evaluate-off-thread";
import { runNormalization } from "../inference/normalization";
import { runDir } from "./run-files";

/*
 * A run's per-image test predictions: as its test.json records them, or — for
 * a run older than that record — computed now from its saved weights on its
 * dataset's test split and added to its test.json, so that comparisons work
 * for every run that has weights.
 */

/** Checkpoints to evaluate, in order of preference: a run's test evaluation used its last weights. */
const EVALUATED_CHECKPOINTS = [RUN_FILES.weights, RUN_FILES.bestWeights] as const;

/** Evaluations in flight, by run id: a second request for the same run waits for the first. */
const inFlight = new Map<string, Promise<TestPredictions>>();

/** The predicted class of every test image of `run`; errors are HttpErrors naming the problem and the fix. */
export function testPredictionsOf(ctx: ServedDatasets, run: RunRow): Promise<TestPredictions> {
  const running = inFlight.get(run.id);
  if (running) return running;
  const answer = recordedOrEvaluated(ctx, run).finally(() => inFlight.delete(run.id));
  inFlight.set(run.id, answer);
  return answer;
}

const statOrNull = (path: string) => stat(path).catch(() => null);

async function readTestReport(runId: string, path: string): Promise<TestReport | null> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as TestReport;
  } catch (err) {
    throw new HttpError(
      409,
      `run ${runId}'s test.json is not JSON (${(err as Error).message}); the run folder is damaged`,
    );
  }
}

async function recordedOrEvaluated(ctx: ServedDatasets, run: RunRow): Promise<TestPredictions> {
  const dir = runDir(ctx.dataDir, run.id);
  const testPath = join(dir, RUN_FILES.test);
  const readAt = await statOrNull(testPath);
  const report = readAt ? await readTestReport(run.id, testPath) : null;
  const spec = JSON.parse(run.spec) as ModelSpec;
  const base = { runId: run.id, dataset: run.dataset, classes: report?.classes ?? [...spec.classes] };
  if (report && Array.isArray(report.predictions)) {
    return {
      ...base,
      count: report.predictions.length,
      predictions: report.predictions,
      source: "recorded",
      checkpoint: null,
    };
  }
  if (run.status === "queued" || run.status === "running") {
    throw new HttpError(
      409,
      `run ${run.id} is ${run.status}: its test predictions come with its test evaluation at the end of training; ask again once it has finished`,
    );
  }
  const why = report ? "its test.json predates per-image predictions" : "it has no test evaluation";
  let checkpoint: (typeof EVALUATED_CHECKPOINTS)[number] | undefined;
  for (const name of EVALUATED_CHECKPOINTS) {
    if (await statOrNull(join(dir, name))) {
      checkpoint = name;
      break;
    }
  }
  if (!checkpoint) {
    throw new HttpError(
      409,
      `run ${run.id} has no per-image test predictions (${why}) and no weights to compute them from; train it again (or resume it) so that it records them`,
    );
  }
  const weightsPath = join(dir, checkpoint);
  const weights = new Uint8Array(await readFile(weightsPath));
  const normalization = await runNormalization(run.id, dir, weights, spec.input.shape);
  const testSplitPath = await servedTestFile(ctx, run.dataset).catch((err: unknown) => {
    if (err instanceof HttpError && err.statusCode === 404)
      throw new HttpError(
        409,
        `run ${run.id}'s dataset ${run.dataset} is no longer on this server, so its test predictions cannot be computed; import the dataset again and train the run again on it`,
      );
    throw err;
  });
  const specText = await readFile(join(dir, RUN_FILES.spec), "utf8").catch(() => run.spec);
  const predictions = await predictTestSplitOffThread({ specText, weightsPath, normalization, testSplitPath }).catch(
    (err: Error) => {
      throw new HttpError(
        409,
        `run ${run.id}'s ${checkpoint} could not be evaluated on the test split of ${run.dataset} (${err.message})`,
      );
    },
  );
  if (report && report.count !== predictions.length) {
    throw new HttpError(
      409,
      `run ${run.id} was tested on ${report.count} images, but dataset ${run.dataset} has ${predictions.length} test images now: it changed since the run; train the run again on the dataset as it is`,
    );
  }
  const list = Array.from(predictions);
  // Kept for the next request, in the test.json that was read only: a run resumed meanwhile writes its own.
  if (report && readAt) {
    const now = await statOrNull(testPath);
    if (now && now.ino === readAt.ino && now.mtimeMs === readAt.mtimeMs && now.size === readAt.size) {
      const text = jsonText({ ...report, predictions: list });
      await writeRunFile(dir, RUN_FILES.test, text);
      await ctx.registry.putArtifact(run.id, RUN_FILES.test, Buffer.byteLength(text));
    }
  }
  return { ...base, count: list.length, predictions: list, source: "evaluated", checkpoint };
}
