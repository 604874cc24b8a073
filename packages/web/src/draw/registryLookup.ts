import {
  buildTemplate,
  defaultTrainingConfig,
  type LearningRateRangeName,
  learningRateInside,
  learningRateRangeOf,
  OPTIMIZER_NAMES,
  type OptimizerName,
  TrainingConfig,
} from "@layerlab/spec";
import type { RunSummary } from "../api/client";
import { type DatasetChoice, datasetFacts } from "../data/datasets";
import type { Studio } from "../state/studio";

/** Seed 001's way to find a model: its type and training settings, the learning rate as a range. */
export interface RegistryQuery {
  modelKind: "mlp" | "cnn";
  optimizer: OptimizerName;
  batchSize: number;
  hidden: number[];
  epochs: number;
  dropout: boolean;
  learningRate: LearningRateRangeName;
  dataset: string;
}

/** The query string of `GET /api/runs` that finds the best finished run matching `q`. */
export function registryParams(q: RegistryQuery): URLSearchParams {
  return new URLSearchParams({
    status: "succeeded",
    modelKind: q.modelKind,
    optimizer: q.optimizer,
    batchSize: String(q.batchSize),
    epochs: String(q.epochs),
    dropout: String(q.dropout),
    hidden: q.hidden.join(","),
    learningRate: q.learningRate,
    dataset: q.dataset,
    sort: "testAccuracy",
    order: "desc",
    limit: "1",
  });
}

/**
 * The setup that trains what `q` describes ("Train this configuration"):
 * seed 001's SimpleNN or ConvNN with those hidden layers and dropout, the
 * learning rate at the geometric middle of its range.
 */
export function studioForQuery(q: RegistryQuery, dataset: DatasetChoice): Studio {
  const spec = buildTemplate(q.modelKind === "mlp" ? "simple-nn" : "conv-nn", datasetFacts(dataset), {
    hidden: q.hidden,
    dropout: q.dropout,
  });
  const config = {
    ...defaultTrainingConfig(),
    optimizer: { name: q.optimizer },
    batchSize: q.batchSize,
    epochs: q.epochs,
    learningRate: learningRateInside(q.learningRate),
  };
  return { spec, config, dataset };
}

/** The query that finds runs of `studio`'s setup: its model's type and dense layers, training settings and data. */
export function queryForStudio(studio: Studio): RegistryQuery {
  const layers = studio.spec.layers;
  // The registry files hidden layers as the dense layers before the output one, as here.
  const dense = layers.flatMap((l) => (l.kind === "dense" ? [l.units] : []));
  const parsed = TrainingConfig.safeParse(studio.config);
  const config = parsed.success ? parsed.data : defaultTrainingConfig();
  return {
    modelKind: layers.some((l) => l.kind === "conv2d") ? "cnn" : "mlp",
    optimizer: config.optimizer.name,
    batchSize: config.batchSize,
    hidden: dense.slice(0, -1),
    epochs: config.epochs,
    // A dropout layer without a rate takes the default, which drops.
    dropout: layers.some((l) => l.kind === "dropout" && l.rate !== 0),
    learningRate: learningRateRangeOf(config.learningRate)?.name ?? "high",
    dataset: studio.dataset.kind === "server" ? studio.dataset.id : "shapes",
  };
}

/** The query that finds registry run `run` (and its equals); `fallback` fills what the run does not say. */
export function queryForRun(run: RunSummary, fallback: RegistryQuery): RegistryQuery {
  const optimizer = OPTIMIZER_NAMES.find((o) => o === run.optimizer);
  return {
    modelKind: run.modelKind === "cnn" ? "cnn" : "mlp",
    optimizer: optimizer ?? fallback.optimizer,
    batchSize: run.batchSize,
    hidden: run.hiddenUnits
      .split(",")
      .map(Number)
      .filter((n) => n > 0),
    epochs: run.epochs,
    dropout: run.dropout > 0,
    learningRate: learningRateRangeOf(run.learningRate)?.name ?? fallback.learningRate,
    dataset: run.dataset,
  };
}

/**
 * Where the picker's filter starts, the setup the person most likely wants to find: the run they
 * trained last in this tab, else the registry's newest finished run, else the studio as it is now.
 */
export function defaultQuery(from: {
  trainedHere: Studio | null;
  finished: readonly RunSummary[];
  studio: Studio;
}): RegistryQuery {
  if (from.trainedHere) return queryForStudio(from.trainedHere);
  const current = queryForStudio(from.studio);
  const newest = from.finished.reduce<RunSummary | null>((a, r) => (a && a.createdAt >= r.createdAt ? a : r), null);
  return newest ? queryForRun(newest, current) : current;
}
