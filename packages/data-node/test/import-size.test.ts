import { describe, expect, it } from "vitest";
import { DEFAULT_IMAGE_SIDE, MAX_NATIVE_IMAGE_SIDE } from "../src/decode-target";
import { importDataset } from "../src/import";
import { solidImage, tempDir, writeZip } from "./fixtures";

/** A ZIP of two classes (class-per-folder), `perClass` images each, made by `image(class, i)`. */
async function twoClassZip(name: string, perClass: number, image: (cls: 0 | 1, i: number) => Promise<Buffer>) {
  const files: Record<string, Buffer> = {};
  for (const cls of [0, 1] as const) {
    for (let i = 0; i < perClass; i++) files[`${cls === 0 ? "red" : "blue"}/${i}.png`] = await image(cls, i);
  }
  return writeZip(await tempDir(), name, files);
}

describe("importDataset: the decoded size follows the images", () => {
  it("keeps 32×32 colour images at 32×32 RGB and says so", async () => {
    const zip = await twoClassZip("cifar-like.zip", 3, (cls) =>
      solidImage(cls === 0 ? "png" : "jpeg", 32, 32, cls === 0 ? [255, 0, 0] : [0, 0, 255]),
    );
    const { dataset, report } = await importDataset(zip);
    expect(dataset.shape).toEqual([3, 32, 32]);
    expect(report.shape).toEqual([3, 32, 32]);
    expect(report.decoded).toMatchObject({ width: 32, height: 32, channels: 3, sizeReason: "own-size" });
    expect(report.decoded.summary).toBe("32×32 RGB (the images' own size)");
    // The pixels are the images' own, not resampled: the red class is red everywhere.
    const plane = 32 * 32;
    const red = [...dataset.train.labels].indexOf(dataset.classes.indexOf("red"));
    expect(dataset.train.images[red * 3 * plane]).toBe(255);
    expect(dataset.train.images[red * 3 * plane + 2 * plane]).toBe(0);
  });

  it("keeps greyscale when every image is greyscale, at their own (non-square) size", async () => {
    const zip = await twoClassZip("grey.zip", 3, (cls, i) => solidImage("png", 20, 12, cls * 200 + i));
    const { dataset, report } = await importDataset(zip);
    expect(dataset.shape).toEqual([1, 12, 20]);
    expect(report.decoded).toMatchObject({ channelsReason: "all-greyscale", sizeReason: "own-size" });
    expect(report.decoded.summary).toBe("20×12 greyscale (the images' own size)");
  });

  it("turns RGB when one image among greys is in colour, whatever its place", async () => {
    const zip = await twoClassZip("one-colour.zip", 3, (cls, i) =>
      cls === 1 && i === 2 ? solidImage("png", 16, 16, [0, 200, 0]) : solidImage("png", 16, 16, 90),
    );
    const { dataset, report } = await importDataset(zip);
    expect(dataset.shape).toEqual([3, 16, 16]);
    expect(report.decoded.channelsReason).toBe("colour");
  });

  it("fits images of different sizes to the default square and names two of the sizes", async () => {
    const zip = await twoClassZip("mixed.zip", 2, (cls, i) => solidImage("png", 30 + 10 * i, 30, cls === 0 ? 10 : 240));
    const { dataset, report } = await importDataset(zip);
    expect(dataset.shape).toEqual([1, DEFAULT_IMAGE_SIDE, DEFAULT_IMAGE_SIDE]);
    expect(report.decoded.sizeReason).toBe("mixed-sizes");
    expect(report.decoded.summary).toMatch(/^64×64 greyscale \(the images differ in size, e\.g\. \d+×30 and \d+×30, /);
  });

  it("shrinks images larger than the limit to the default and says why", async () => {
    const side = MAX_NATIVE_IMAGE_SIDE + 72;
    const zip = await twoClassZip("photos.jpg.zip", 2, (cls) =>
      solidImage("jpeg", side, side, cls === 0 ? [250, 10, 10] : [10, 10, 250]),
    );
    const { dataset, report } = await importDataset(zip);
    expect(dataset.shape).toEqual([3, 64, 64]);
    expect(report.decoded.summary).toBe(
      `64×64 RGB (the images are ${side}×${side}, larger than 128×128, so each is fitted (contain) to the default 64×64)`,
    );
  });

  it("lets the caller's size and channels win", async () => {
    const zip = await twoClassZip("forced.zip", 2, (cls) => solidImage("png", 32, 32, cls === 0 ? [255, 0, 0] : 30));
    const { dataset, report } = await importDataset(zip, { size: 24, channels: 1 });
    expect(dataset.shape).toEqual([1, 24, 24]);
    expect(report.decoded).toMatchObject({ sizeReason: "requested", channelsReason: "requested" });
    expect(report.decoded.summary).toBe("24×24 greyscale (the size asked for)");
  });
});
