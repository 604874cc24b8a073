import type { LayerKind } from "@layerlab/spec";
import { activationLayer } from "./activation";
import { batchNorm } from "./batchNorm";
import { conv2d } from "./conv2d";
import { dense } from "./dense";
import { dropout } from "./dropout";
import { flatten } from "./flatten";
import { globalAvgPool } from "./globalAvgPool";
import { add, concat } from "./merge";
import { avgPool2d, maxPool2d } from "./pool2d";
import type { LayerImpl } from "./types";

/** Every layer kind of the engine, keyed by the spec's `kind`. */
export const LAYERS: { [K in LayerKind]: LayerImpl<K> } = {
  dense,
  conv2d,
  maxPool2d,
  avgPool2d,
  globalAvgPool,
  batchNorm,
  dropout,
  flatten,
  activation: activationLayer,
  add,
  concat,
};
