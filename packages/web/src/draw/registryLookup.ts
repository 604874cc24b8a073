import {
  buildTemplate,
  defaultTrainingConfig,
  type LearningRateRangeName,
  learningRateInside,
  type OptimizerName,
} from "@layerlab/spec";
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
