import { call, global, type PyValue, pickle, tuple } from "./pickle";
import { writeZip, type ZipEntry } from "./zip";

/*
 * PyTorch's zip serialization (what torch.save writes since 1.6): a stored ZIP
 * holding `<archive>/data.pkl` (the pickled object, tensors as persistent
 * storage references), `<archive>/data/<key>` (each storage's raw
 * little-endian bytes, 64-byte aligned), `<archive>/version` and
 * `<archive>/byteorder`. Only what a state_dict needs: float32 and int64
 * tensors, contiguous, one storage each.
 * Reference: torch/serialization.py (_save, _load) and torch/_utils.py (_rebuild_tensor_v2).
 */

/** One tensor of a state_dict: float32 data or int64 data. */
export type TorchTensor =
  | { dtype: "float32"; shape: number[]; data: Float32Array }
  | { dtype: "int64"; shape: number[]; data: BigInt64Array };

const STORAGE_CLASS = { float32: "FloatStorage", int64: "LongStorage" } as const;

/** Row-major (contiguous) strides of a shape. */
function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i]!;
  }
  return strides;
}

/** `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())` with a persistent storage id. */
function rebuildTensor(key: string, t: TorchTensor): PyValue {
  const storage: PyValue = {
    kind: "persistent",
    id: tuple("storage", global("torch", STORAGE_CLASS[t.dtype]), key, "cpu", t.data.length),
  };
  const emptyHooks = call(global("collections", "OrderedDict"));
  return call(
    global("torch._utils", "_rebuild_tensor_v2"),
    storage,
    0,
    tuple(...t.shape),
    tuple(...contiguousStrides(t.shape)),
    false,
    emptyHooks,
  );
}

/**
 * Serialises an ordered state_dict as a `.pt` file that
 * `torch.load(path, weights_only=True)` reads back as an OrderedDict of tensors.
 */
export function encodeTorchStateDict(tensors: [string, TorchTensor][], archiveName = "model"): Uint8Array {
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`model.pt: '${name}' has shape [${t.shape}] but ${t.data.length} values`);
  }
  const stateDict: PyValue = {
    kind: "dict",
    base: call(global("collections", "OrderedDict")),
    entries: tensors.map(([name, t], i) => [name, rebuildTensor(String(i), t)]),
  };
  const text = (s: string) => new TextEncoder().encode(s);
  const entries: ZipEntry[] = [
    { name: `${archiveName}/data.pkl`, data: pickle(stateDict) },
    { name: `${archiveName}/byteorder`, data: text("little") },
    ...tensors.map(([, t], i) => ({
      name: `${archiveName}/data/${i}`,
      // Typed arrays are little-endian on every platform LayerLab runs on.
      data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    })),
    { name: `${archiveName}/version`, data: text("3\n") },
  ];
  return writeZip(entries, 64);
}
