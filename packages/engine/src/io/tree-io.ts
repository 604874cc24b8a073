import { type JsTree, numpy as np } from "@jax-js/jax";
import { decodeSafetensors, encodeSafetensors, type HostTensor } from "./safetensors";

/*
 * Any pytree of arrays (an optimizer's state) as safetensors, each leaf named
 * by its path with "/" between keys ("1/mu/0.weight": parameter names contain
 * dots). Loading needs a template of the same structure, e.g. a fresh
 * `optimizer.init(params)`, so no structure is ever parsed from the file.
 */

type Leaf = { path: string; array: np.Array };

function leaves(t: JsTree<np.Array>, path: string[] = [], out: Leaf[] = []): Leaf[] {
  if (t instanceof np.Array) {
    out.push({ path: path.join("/"), array: t });
  } else if (Array.isArray(t)) {
    for (const [i, v] of t.entries()) leaves(v as JsTree<np.Array>, [...path, String(i)], out);
  } else if (t && typeof t === "object") {
    for (const [k, v] of Object.entries(t)) leaves(v as JsTree<np.Array>, [...path, k], out);
  }
  return out;
}

function rebuild<T>(t: T, values: Map<string, np.Array>, path: string[] = []): T {
  if (t instanceof np.Array) {
    const key = path.join("/");
    const v = values.get(key);
    if (!v) throw new Error(`state file lacks '${key}'`);
    values.delete(key);
    return v as T;
  }
  if (Array.isArray(t)) return t.map((v, i) => rebuild(v, values, [...path, String(i)])) as T;
  if (t && typeof t === "object") {
    return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, rebuild(v, values, [...path, k])])) as T;
  }
  return t;
}

/** Serialises a pytree of float32/int32 arrays (does not consume it). */
export async function saveTree(t: JsTree<np.Array>, metadata?: Record<string, string>): Promise<Uint8Array> {
  const tensors: Record<string, HostTensor> = {};
  for (const { path, array } of leaves(t)) {
    const data = await array.ref.data();
    const shape = [...array.shape];
    if (data instanceof Float32Array) tensors[path] = { dtype: "F32", shape, data };
    else if (data instanceof Int32Array) tensors[path] = { dtype: "I32", shape, data };
    else throw new Error(`saveTree: '${path}' is ${array.dtype}; only float32 and int32 are saved`);
  }
  return encodeSafetensors(tensors, metadata);
}

/**
 * Loads a pytree saved by `saveTree` into the structure of `template`
 * (consumed), checking every leaf's shape and dtype.
 */
export function loadTree<T extends JsTree<np.Array>>(template: T, bytes: Uint8Array): T {
  const { tensors } = decodeSafetensors(bytes);
  const values = new Map<string, np.Array>();
  try {
    for (const { path, array } of leaves(template)) {
      const t = tensors[path];
      const shape = [...array.shape];
      const dtype = array.dtype === np.int32 ? "I32" : "F32";
      array.dispose();
      if (!t) throw new Error(`state file lacks '${path}'`);
      if (t.dtype !== dtype || t.shape.join(",") !== shape.join(",")) {
        throw new Error(`state '${path}' is ${t.dtype}[${t.shape}], expected ${dtype}[${shape}]`);
      }
      values.set(path, np.array(t.data as Float32Array | Int32Array, { shape, dtype: array.dtype }));
    }
    return rebuild(template, values);
  } catch (err) {
    for (const v of values.values()) v.dispose();
    throw err;
  }
}
