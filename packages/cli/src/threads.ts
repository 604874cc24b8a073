import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { wasmThreadsFor } from "@layerlab/engine/node";
import { buildTemplate, isTemplateId } from "@layerlab/spec";

type LayerKinds = { layers: readonly { kind: string }[] };

/** Any image shape and two classes: a template's layer kinds do not depend on the data. */
const ANY_DATA = { inputShape: [1, 28, 28] as [number, number, number], classes: ["a", "b"] };

function specFile(path: string): LayerKinds | null {
  if (!existsSync(path)) return null;
  try {
    const spec = JSON.parse(readFileSync(path, "utf8")) as Partial<LayerKinds>;
    return Array.isArray(spec.layers) ? (spec as LayerKinds) : null;
  } catch {
    return null;
  }
}

/**
 * The layers that `train MODEL …` or `resume DIR` will train, read from the
 * command line before anything else runs; null for other commands or a model
 * that cannot be read (the command itself then reports the problem).
 */
export function modelOfCommandLine(argv: readonly string[]): LayerKinds | null {
  const [command, target] = argv;
  if (!target || target.startsWith("-")) return null;
  if (command === "train") {
    if (isTemplateId(target)) return buildTemplate(target, ANY_DATA);
    return specFile(target);
  }
  if (command === "resume") return specFile(join(target, "spec.json"));
  return null;
}

/**
 * How many Wasm threads this `layerlab` process should give jax-js: the pool
 * for a convolutional model, one thread otherwise (dense nets run slower on
 * the pool), or LAYERLAB_WASM_THREADS when it is set.
 */
export function wasmThreadsForCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const forced = env.LAYERLAB_WASM_THREADS?.trim();
  if (forced && /^\d+$/.test(forced) && Number(forced) >= 1) return Number(forced);
  const model = modelOfCommandLine(argv);
  return model ? wasmThreadsFor(model) : 1;
}
