import { numpy as np } from "@jax-js/jax";
import type { ArrayMap } from "../layers/types";
import type { Model, ModelVars } from "../model";
import { decodeSafetensors, encodeSafetensors, type HostTensor } from "./safetensors";

/** Copies every array of `vars` to the host (does not consume them), PyTorch names as keys. */
export async function varsToHost(vars: ModelVars): Promise<Record<string, HostTensor>> {
  const out: Record<string, HostTensor> = {};
  const all: ArrayMap = { ...vars.params, ...vars.state };
  for (const [name, arr] of Object.entries(all)) {
    const data = await arr.ref.data();
    if (!(data instanceof Float32Array)) throw new Error(`checkpoint: '${name}' is ${arr.dtype}, expected float32`);
    out[name] = { dtype: "F32", shape: [...arr.shape], data };
  }
  return out;
}

/** Serialises a model's arrays as safetensors (does not consume them). */
export async function saveWeights(vars: ModelVars, metadata?: Record<string, string>): Promise<Uint8Array> {
  return encodeSafetensors(await varsToHost(vars), metadata);
}

/**
 * Loads safetensors weights for `model`. Every array the model has must be
 * present with its shape; anything else is an error naming the tensor.
 */
export function loadWeights(model: Model, bytes: Uint8Array): ModelVars {
  const { tensors } = decodeSafetensors(bytes);
  const expected = model.init(0);
  const vars: ModelVars = { params: {}, state: {} };
  try {
    for (const group of ["params", "state"] as const) {
      for (const [name, arr] of Object.entries(expected[group])) {
        const t = tensors[name];
        const shape = [...arr.shape];
        if (!t) throw new Error(`weights do not fit this model: '${name}' [${shape}] is missing`);
        if (t.shape.join(",") !== shape.join(",")) {
          throw new Error(
            `weights do not fit this model: '${name}' has shape [${t.shape}], the model expects [${shape}]`,
          );
        }
        if (t.dtype !== "F32") throw new Error(`weights: '${name}' is ${t.dtype}; LayerLab models are float32`);
        vars[group][name] = np.array(t.data as Float32Array, { shape });
      }
    }
    const known = new Set([...Object.keys(expected.params), ...Object.keys(expected.state)]);
    const extra = Object.keys(tensors).filter((n) => !known.has(n) && !n.endsWith("num_batches_tracked"));
    if (extra.length > 0) throw new Error(`weights do not fit this model: unexpected tensors ${extra.join(", ")}`);
    return vars;
  } catch (err) {
    disposeVars(vars);
    throw err;
  } finally {
    disposeVars(expected);
  }
}

/** Frees every array of `vars`. */
export function disposeVars(vars: ModelVars): void {
  for (const arr of Object.values(vars.params)) arr.dispose();
  for (const arr of Object.values(vars.state)) arr.dispose();
}

/** New references to every array of `vars`. */
export function refVars(vars: ModelVars): ModelVars {
  const ref = (m: ArrayMap) => Object.fromEntries(Object.entries(m).map(([k, a]) => [k, a.ref]));
  return { params: ref(vars.params), state: ref(vars.state) };
}
