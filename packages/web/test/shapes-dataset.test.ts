import { generateShapes } from "@layerlab/data-core";
import { describe, expect, it } from "vitest";
import { DEFAULT_DATASET, type ShapesChoice } from "../src/data/datasets";
import { initialStudio } from "../src/state/studio";
import { localFingerprint } from "../src/train/browserRuns";
import { serverDatasetId } from "../src/train/serverRuns";

const studioOn = (dataset: ShapesChoice) => ({ ...initialStudio(), dataset });

describe("the page's shapes and the server's built-in shapes", () => {
  it("are the same bytes by default: the page generates what the server calls shapes", () => {
    const { shapes, size, countPerClass, seed } = DEFAULT_DATASET;
    const page = generateShapes({ shapes, size, countPerClass, seed });
    // The server's built-in is the generator with no options.
    const server = generateShapes();
    expect(page.train.count).toBe(server.train.count);
    expect(page.train.images).toEqual(server.train.images);
    expect(page.test.labels).toEqual(server.test.labels);
    expect(page.test.images).toEqual(server.test.images);
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
