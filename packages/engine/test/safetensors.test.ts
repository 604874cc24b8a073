import { describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors, type HostTensor } from "../src/io/safetensors";

function sample(): Record<string, HostTensor> {
  const w = new Float32Array(12).map((_, i) => Math.sin(i) * 1e-3 + (i === 5 ? Number.NaN : 0));
  return {
    "0.weight": { dtype: "F32", shape: [3, 4], data: w },
    "0.bias": { dtype: "F32", shape: [3], data: new Float32Array([1.5, -0, 3.4028234663852886e38]) },
    "1.num_batches_tracked": { dtype: "I64", shape: [], data: new BigInt64Array([42n]) },
    "2.running_var": { dtype: "F64", shape: [2], data: new Float64Array([Math.PI, Number.MIN_VALUE]) },
  };
}

describe("safetensors", () => {
  it("round-trips bytes exactly, including NaN, -0 and subnormals", () => {
    const bytes = encodeSafetensors(sample(), { format: "pt" });
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ format: "pt" });
    const again = encodeSafetensors(decoded.tensors, decoded.metadata);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    const w = decoded.tensors["0.weight"]!;
    expect(w.shape).toEqual([3, 4]);
    expect(new Uint8Array(w.data.buffer)).toEqual(new Uint8Array(sample()["0.weight"]!.data.buffer));
    expect(Object.is((decoded.tensors["0.bias"]!.data as Float32Array)[1], -0)).toBe(true);
    expect((decoded.tensors["1.num_batches_tracked"]!.data as BigInt64Array)[0]).toBe(42n);
  });

  it("decodes from a Node Buffer that is a view into a larger pool", () => {
    const bytes = encodeSafetensors(sample());
    const pool = Buffer.alloc(bytes.length + 100, 7);
    pool.set(bytes, 37);
    const view = pool.subarray(37, 37 + bytes.length);
    const w = decodeSafetensors(view).tensors["0.weight"]!;
    expect(new Uint8Array(w.data.buffer)).toEqual(new Uint8Array(sample()["0.weight"]!.data.buffer));
  });

  it("writes the layout of the reference format: u64 header length, 8-byte aligned JSON, sorted data", () => {
    const bytes = encodeSafetensors(sample());
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header["0.bias"]).toEqual({ dtype: "F32", shape: [3], data_offsets: [0, 12] });
    expect(header["0.weight"].data_offsets).toEqual([12, 60]);
    expect(bytes.length).toBe(8 + n + 12 + 48 + 8 + 16);
  });

  it("rejects truncated and malformed files with a message that says why", () => {
    const bytes = encodeSafetensors(sample());
    expect(() => decodeSafetensors(bytes.subarray(0, 4))).toThrow(/shorter than its 8-byte header/);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(/byte range/);
    const garbage = new Uint8Array(24);
    new DataView(garbage.buffer).setBigUint64(0, 16n, true);
    garbage.set(new TextEncoder().encode("{not json"), 8);
    expect(() => decodeSafetensors(garbage)).toThrow(/not valid JSON/);
    expect(() => encodeSafetensors({ a: { dtype: "F32", shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      /shape \[2,2\] but 3 values/,
    );
  });
});
