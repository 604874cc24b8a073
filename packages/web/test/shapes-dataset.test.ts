import { generateShapes } from "@layerlab/data-core";
import { describe, expect, it } from "vitest";
import { DEFAULT_DATASET, type ShapesChoice } from "../src/data/datasets";
import { cachedShapes, drawnShapes } from "../src/data/shapesCache";
import { initialStudio } from "../src/state/studio";
import { localFingerprint } from "../src/train/browserRuns";
import { serverDatasetId } from "../src/train/serverRuns";

const studioOn = (dataset: ShapesChoice) => ({ ...initialStudio(), dataset });

/**
 * The first index at which two byte arrays differ (their shorter length when one is a prefix of the other),
 * or -1 when they are equal. toEqual walks millions of bytes one generic comparison at a time (over ten
 * seconds for the full dataset); this says where the bytes part, which is what a failure needs.
 */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)))
    return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

describe("the page's shapes and the server's built-in shapes", () => {
  it("are the same bytes by default: the page generates what the server calls shapes", () => {
    const { shapes, size, countPerClass, seed } = DEFAULT_DATASET;
    const page = generateShapes({ shapes, size, countPerClass, seed });
    // The server's built-in is the generator with no options.
    const server = generateShapes();
    expect(page.train.count).toBe(server.train.count);
    expect(firstDifference(page.train.images, server.train.images)).toBe(-1);
    expect(firstDifference(page.test.labels, server.test.labels)).toBe(-1);
    expect(firstDifference(page.test.images, server.test.images)).toBe(-1);
  });

  it("registers the default as the server's shapes and refuses a variant, naming what differs", () => {
    expect(serverDatasetId(studioOn(DEFAULT_DATASET))).toBe("shapes");
    expect(() => serverDatasetId(studioOn({ ...DEFAULT_DATASET, countPerClass: 300 }))).toThrow(
      "300 images per class (the server's: 1000)",
    );
    expect(() => serverDatasetId(studioOn({ ...DEFAULT_DATASET, seed: 7 }))).toThrow("seed 7 (the server's: 0)");
  });

  it("finds a run kept in this browser by the variant it trained on", () => {
    const fewer = localFingerprint(studioOn({ ...DEFAULT_DATASET, countPerClass: 300 }));
    const reseeded = localFingerprint(studioOn({ ...DEFAULT_DATASET, seed: 1 }));
    const builtin = localFingerprint(studioOn(DEFAULT_DATASET));
    expect(builtin).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set([fewer, reseeded, builtin]).size).toBe(3);
  });
});

describe("the shapes each realm keeps", () => {
  // Seeds no other test uses: this project's files share module instances, so the cache may hold another file's set.
  const small = (seed: number): ShapesChoice => ({ ...DEFAULT_DATASET, countPerClass: 10, seed });

  it("says whether this realm has drawn a set, without drawing one", () => {
    expect(drawnShapes(small(9001))).toBeNull();
    const drawn = cachedShapes(small(9001));
    expect(drawnShapes(small(9001))).toBe(drawn);
    expect(cachedShapes(small(9001))).toBe(drawn);
    expect(drawnShapes(small(9002))).toBeNull();
  });

  it("keeps the set the page drew instead of drawing it again, as a training worker does", () => {
    const { kind: _kind, ...options } = small(9003);
    const fromPage = generateShapes(options);
    expect(cachedShapes(small(9003), fromPage)).toBe(fromPage);
    expect(cachedShapes(small(9003))).toBe(fromPage);
    // A set handed over for options this realm already holds changes nothing.
    expect(cachedShapes(small(9003), generateShapes(options))).toBe(fromPage);
  });
});
