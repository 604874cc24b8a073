import {
  PickleReadError,
  type PyAllowed,
  type PyDict,
  type PyObject,
  type PyOpaque,
  type PyTuple,
  pyDict,
  unpickleRestricted,
} from "./pickle-read";
import type { TorchTensor } from "./torch-pt";
import { readZip, ZipReadError } from "./zip-read";

/*
 * Reads a PyTorch state_dict saved with torch.save (the zip format, PyTorch
 * 1.6 and later) without ever running a general unpickler: data.pkl is read
 * by the restricted reader, which allows exactly the globals a state_dict
 * pickles — collections.OrderedDict, torch._utils._rebuild_tensor_v2 and
 * _rebuild_parameter, and torch's storage classes — and refuses everything
 * else (a pickled nn.Module, an optimizer, any other class) by name. Tensors
 * come back as float32 (float64, float16 and bfloat16 converted) or int64.
 * Reference: torch/serialization.py (_load) and torch/_utils.py (_rebuild_tensor_v2).
 */

/** Why a .pt file was refused; the message names the problem and what to save instead. */
export class TorchLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TorchLoadError";
  }
}

/** The storage classes torch pickles, with each element's size and how to read it as a number. */
const STORAGES = {
  FloatStorage: { bytes: 4, kind: "float" },
  DoubleStorage: { bytes: 8, kind: "float" },
  HalfStorage: { bytes: 2, kind: "float" },
  BFloat16Storage: { bytes: 2, kind: "float" },
  LongStorage: { bytes: 8, kind: "int64" },
} as const;
type StorageName = keyof typeof STORAGES;
/** Storage classes a state_dict may hold but LayerLab's models never do: named in the refusal. */
const OTHER_STORAGES = ["IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage"];

interface StorageRef {
  type: StorageName;
  bytes: Uint8Array;
}
interface TensorRef {
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

const opaque = (value: unknown): PyOpaque => ({ kind: "opaque", value });
const opaqueOf = <T>(v: PyObject, what: string): T => {
  if (typeof v !== "object" || v === null || (v as PyOpaque).kind !== "opaque") {
    throw new TorchLoadError(`${what} is not what torch.save writes there`);
  }
  return (v as PyOpaque).value as T;
};
const intTuple = (v: PyObject, what: string): number[] => {
  const items = (v as PyTuple | null)?.kind === "tuple" ? (v as PyTuple).items : null;
  if (!items?.every((x) => typeof x === "number" && Number.isInteger(x) && x >= 0)) {
    throw new TorchLoadError(`a tensor's ${what} is not a tuple of sizes`);
  }
  return items as number[];
};

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The tensor's elements in row-major order, gathered through its offset and strides. */
function materialize(name: string, t: TensorRef): TorchTensor {
  const { bytes: size, kind } = STORAGES[t.storage.type];
  const count = t.shape.reduce((a, b) => a * b, 1);
  const storageCount = Math.floor(t.storage.bytes.byteLength / size);
  if (count > 0) {
    const last = t.offset + t.shape.reduce((sum, dim, i) => sum + (dim - 1) * t.stride[i]!, 0);
    if (last >= storageCount) {
      throw new TorchLoadError(`tensor '${name}' reaches element ${last} of a storage with ${storageCount}`);
    }
  }
  const view = new DataView(t.storage.bytes.buffer, t.storage.bytes.byteOffset, t.storage.bytes.byteLength);
  const read: (index: number) => number | bigint =
    t.storage.type === "FloatStorage"
      ? (i) => view.getFloat32(i * 4, true)
      : t.storage.type === "DoubleStorage"
        ? (i) => view.getFloat64(i * 8, true)
        : t.storage.type === "HalfStorage"
          ? (i) => halfToFloat(view.getUint16(i * 2, true))
          : t.storage.type === "BFloat16Storage"
            ? (i) => new Float32Array(new Uint32Array([view.getUint16(i * 2, true) << 16]).buffer)[0]!
            : (i) => view.getBigInt64(i * 8, true);
  const data = kind === "float" ? new Float32Array(count) : new BigInt64Array(count);
  const index = new Array<number>(t.shape.length).fill(0);
  for (let n = 0; n < count; n++) {
    let at = t.offset;
    for (let d = 0; d < index.length; d++) at += index[d]! * t.stride[d]!;
    (data as { [i: number]: number | bigint })[n] = read(at);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d]! < t.shape[d]!) break;
      index[d] = 0;
    }
  }
  return kind === "float"
    ? { dtype: "float32", shape: t.shape, data: data as Float32Array }
    : { dtype: "int64", shape: t.shape, data: data as BigInt64Array };
}

/** The allow-list: a state_dict's globals and nothing else. */
function stateDictGlobals(): Record<string, () => PyAllowed> {
  const orderedDict = (): PyAllowed => ({
    kind: "allowed",
    name: "collections.OrderedDict",
    call: (args) => {
      const dict = pyDict();
      // OrderedDict() or OrderedDict([(key, value), ...]).
      const pairs = args[0];
      if (Array.isArray(pairs)) {
        for (const pair of pairs) {
          const items = (pair as PyTuple).items;
          if (items?.length === 2) dict.entries.set(items[0]!, items[1]!);
        }
      }
      return dict;
    },
  });
  const rebuildTensor = (): PyAllowed => ({
    kind: "allowed",
    name: "torch._utils._rebuild_tensor_v2",
    call: ([storage, offset, size, stride]) => {
      if (typeof offset !== "number") throw new TorchLoadError("a tensor's storage offset is not a number");
      const shape = intTuple(size ?? null, "size");
      const strides = intTuple(stride ?? null, "stride");
      if (shape.length !== strides.length) throw new TorchLoadError("a tensor's size and stride differ in length");
      return opaque({
        storage: opaqueOf<StorageRef>(storage ?? null, "a tensor's storage"),
        offset,
        shape,
        stride: strides,
      });
    },
  });
  const rebuildParameter = (): PyAllowed => ({
    kind: "allowed",
    name: "torch._utils._rebuild_parameter",
    call: ([tensor]) => tensor ?? null,
  });
  const globals: Record<string, () => PyAllowed> = {
    "collections.OrderedDict": orderedDict,
    "torch._utils._rebuild_tensor_v2": rebuildTensor,
    "torch._utils._rebuild_parameter": rebuildParameter,
  };
  for (const name of Object.keys(STORAGES)) {
    globals[`torch.${name}`] = () => ({ kind: "allowed", name: `torch.${name}` });
  }
  return globals;
}

/** The archive's one `<prefix>/data.pkl` and its prefix. */
function dataPickle(entries: Map<string, Uint8Array>): { prefix: string; pickle: Uint8Array } {
  const names = [...entries.keys()].filter((n) => n.endsWith("/data.pkl") && n.split("/").length === 2);
  if (names.length !== 1) {
    throw new TorchLoadError(
      `it holds ${names.length === 0 ? "no" : "more than one"} <archive>/data.pkl, so torch.save did not write it`,
    );
  }
  const name = names[0]!;
  return { prefix: name.slice(0, -"data.pkl".length), pickle: entries.get(name)! };
}

/** Says which global of a refused pickle to avoid, and what to save instead. */
function refusal(err: PickleReadError): TorchLoadError {
  const other = OTHER_STORAGES.find((s) => err.message.includes(`torch.${s}`));
  if (other) {
    return new TorchLoadError(
      `it holds a ${other.replace("Storage", "").toLowerCase()} tensor; LayerLab models hold float tensors (and int64 batch counters)`,
    );
  }
  return new TorchLoadError(
    `${err.message}. Only a state_dict can be read: save it with torch.save(model.state_dict(), "model.pt")`,
  );
}

/**
 * Reads a `.pt` file written by `torch.save(model.state_dict(), path)` as
 * its tensors in order, without running any pickled code. Throws
 * TorchLoadError naming the problem: not a zip-format file, a pickled object
 * other than a dict of tensors, a global outside the allow-list, a storage
 * that is missing or too short.
 */
export function decodeTorchStateDict(bytes: Uint8Array): [string, TorchTensor][] {
  let entries: Map<string, Uint8Array>;
  try {
    entries = readZip(bytes);
  } catch (err) {
    if (!(err instanceof ZipReadError)) throw err;
    const legacy =
      bytes[0] === 0x80 ? " (it looks like the pre-1.6 format: save it again with PyTorch 1.6 or later)" : "";
    throw new TorchLoadError(`it is not a file torch.save wrote: ${err.message}${legacy}`);
  }
  const { prefix, pickle } = dataPickle(entries);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== "little") {
    throw new TorchLoadError("it was saved on a big-endian machine; LayerLab reads little-endian files only");
  }
  let value: PyObject;
  try {
    value = unpickleRestricted(pickle, {
      globals: stateDictGlobals(),
      persistentLoad: (id) => {
        const items = (id as PyTuple | null)?.kind === "tuple" ? (id as PyTuple).items : [];
        const [tag, type, key] = items;
        const typeName = (type as PyAllowed | null)?.name?.replace(/^torch\./, "");
        if (tag !== "storage" || typeof key !== "string" || !typeName || !(typeName in STORAGES)) {
          throw new TorchLoadError("data.pkl refers to a storage in a form torch.save does not write");
        }
        const data = entries.get(`${prefix}data/${key}`);
        if (!data) throw new TorchLoadError(`storage ${key} is missing from the archive (${prefix}data/${key})`);
        return opaque({ type: typeName as StorageName, bytes: data } satisfies StorageRef);
      },
    });
  } catch (err) {
    if (err instanceof PickleReadError) throw refusal(err);
    throw err;
  }
  if (typeof value !== "object" || value === null || (value as PyDict).kind !== "dict") {
    throw new TorchLoadError('it does not hold a state_dict; save one with torch.save(model.state_dict(), "model.pt")');
  }
  const out: [string, TorchTensor][] = [];
  for (const [key, tensor] of (value as PyDict).entries) {
    if (typeof key !== "string") throw new TorchLoadError("its state_dict has a key that is not a string");
    if (typeof tensor !== "object" || tensor === null || (tensor as PyOpaque).kind !== "opaque") {
      throw new TorchLoadError(
        `its entry '${key}' is not a tensor (a checkpoint dict?); save the model's state_dict itself: torch.save(model.state_dict(), "model.pt")`,
      );
    }
    const ref = (tensor as PyOpaque).value as Partial<TensorRef>;
    if (!Array.isArray(ref.shape)) throw new TorchLoadError(`its entry '${key}' is a bare storage, not a tensor`);
    out.push([key, materialize(key, ref as TensorRef)]);
  }
  return out;
}
