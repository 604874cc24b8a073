import { mkdirSync } from "node:fs";
import { defaultTrainingConfig, MODEL_FORMAT, type ModelSpecInput } from "@layerlab/spec";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DATASET, datasetFacts } from "../src/data/datasets";
import { shareLink } from "../src/state/share";
import type { Studio } from "../src/state/studio";
import { serveStudio } from "./harness";

/*
 * "What did it look at" in headless Chromium against the production build:
 * on the drawing page the saliency heat map is laid over the drawing, and its
 * brightest pixels (read back from the overlay canvas) lie on the stroke;
 * Grad-CAM is offered for a conv net only, with the reason otherwise; in a
 * run's results a clicked test image shows its map.
 */

const SHOTS = "/tmp/shots/saliency";
const studio = serveStudio("saliency");
let page: Page;
beforeAll(() => {
  page = studio.page;
  mkdirSync(SHOTS, { recursive: true });
});

async function go(route: string): Promise<void> {
  await page.click(`nav a[href="#/${route}"]`);
  await expect.poll(() => new URL(page.url()).hash).toBe(`#/${route}`);
}

/** A conv net small enough to train in seconds: two conv + pool stages (8 filters each) and a dense head. */
function smallConvNet(): ModelSpecInput {
  const { classes } = datasetFacts(DEFAULT_DATASET);
  return {
    format: MODEL_FORMAT,
    name: "small CNN",
    input: { shape: [1, DEFAULT_DATASET.size, DEFAULT_DATASET.size] },
    layers: [
      { kind: "conv2d", filters: 8, kernel: 3, padding: "same", activation: "relu" },
      { kind: "maxPool2d", size: 2 },
      { kind: "conv2d", filters: 8, kernel: 3, padding: "same", activation: "relu" },
      { kind: "maxPool2d", size: 2 },
      { kind: "flatten" },
      { kind: "dense", units: classes.length },
    ],
    classes,
  };
}

/** Picks template `id`, trains it for one short epoch in the page and waits until it is done. */
async function trainTemplate(id: string, limit: number): Promise<void> {
  await go("build");
  await page.click(`[data-testid=template-${id}]`);
  await trainBuilt(limit);
}

/** Trains the model the builder holds for one short epoch in the page and waits until the run is done. */
async function trainBuilt(limit: number): Promise<void> {
  await expect.poll(() => page.textContent("[data-testid=spec-status]")).toContain("ready to train");
  await go("train");
  await expect.poll(() => page.textContent("[data-testid=backend]"), { timeout: 30_000 }).toMatch(/Wasm|WebGPU/);
  await page.fill("#cfg-epochs", "1");
  await page.fill("#limit", String(limit));
  await page.click("[data-testid=start]");
  await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 150_000 }).toBe("done");
}

/** Draws an "L" in the left half: a shape that a transposed or flipped overlay would miss. */
async function drawL(): Promise<void> {
  const box = (await page.locator("[data-testid=draw-canvas]").boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + box.width * fx, box.y + box.height * fy] as const;
  await page.mouse.move(...at(0.25, 0.2));
  await page.mouse.down();
  await page.mouse.move(...at(0.25, 0.75), { steps: 8 });
  await page.mouse.move(...at(0.6, 0.75), { steps: 8 });
  await page.mouse.up();
}

/** Where the overlay is brightest, measured on the canvases' own pixels. */
interface OverlayReading {
  /** Pixels of the overlay with any heat. */
  painted: number;
  /** The brightest 1% of the pixels: how many, and how many lie on or next to ink. */
  brightest: number;
  brightestOnInk: number;
  /** Centre of the brightest pixels and the ink's bounding box, in canvas pixels. */
  centre: [number, number];
  inkBox: [number, number, number, number];
}

/** Reads the overlay's opacity and the drawing's ink back from the two canvases (280×280 each). */
function readOverlay(): Promise<OverlayReading> {
  return page.evaluate(() => {
    const pixels = (testId: string) => {
      const c = document.querySelector(`[data-testid=${testId}]`) as HTMLCanvasElement;
      return { data: c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data, w: c.width, h: c.height };
    };
    const overlay = pixels("saliency-overlay");
    const drawing = pixels("draw-canvas");
    const { w, h } = overlay;
    // Ink is light: white strokes on a transparent canvas, or an upload's light pixels painted opaque.
    const ink = (x: number, y: number) => {
      const p = (y * w + x) * 4;
      const d = drawing.data;
      return ((d[p]! + d[p + 1]! + d[p + 2]!) / 3) * (d[p + 3]! / 255) > 64;
    };
    // "On the stroke": ink within 10 canvas pixels, one pixel of the model's 28×28 input.
    const near = (x: number, y: number) => {
      for (let dy = -10; dy <= 10; dy++)
        for (let dx = -10; dx <= 10; dx++) {
          const X = x + dx;
          const Y = y + dy;
          if (X >= 0 && Y >= 0 && X < w && Y < h && ink(X, Y)) return true;
        }
      return false;
    };
    // The overlay veils the whole drawing evenly and adds the heat on top: the heat is the opacity above the veil's.
    let veil = 255;
    for (let p = 0; p < w * h; p++) veil = Math.min(veil, overlay.data[p * 4 + 3]!);
    const heat = (p: number) => overlay.data[p * 4 + 3]! - veil;
    let painted = 0;
    for (let p = 0; p < w * h; p++) if (heat(p) > 0) painted++;
    // The brightest 1% of the canvas (784 pixels, about eight of the model's 28×28 input pixels).
    const sorted = Array.from({ length: w * h }, (_, p) => heat(p)).sort((a, b) => b - a);
    const threshold = Math.max(1, sorted[Math.floor(w * h * 0.01)]!);
    let brightest = 0;
    let brightestOnInk = 0;
    let sx = 0;
    let sy = 0;
    const inkBox: [number, number, number, number] = [w, h, -1, -1];
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        if (ink(x, y)) {
          inkBox[0] = Math.min(inkBox[0], x);
          inkBox[1] = Math.min(inkBox[1], y);
          inkBox[2] = Math.max(inkBox[2], x);
          inkBox[3] = Math.max(inkBox[3], y);
        }
        if (heat(y * w + x) >= threshold) {
          brightest++;
          sx += x;
          sy += y;
          if (near(x, y)) brightestOnInk++;
        }
      }
    return {
      painted,
      brightest,
      brightestOnInk,
      centre: [sx / Math.max(1, brightest), sy / Math.max(1, brightest)] as [number, number],
      inkBox,
    };
  });
}

/** A 240×120 PNG (base64), black with a white bar on the left and a white dot on the right, made by the page's canvas. */
function widePng(): Promise<string> {
  return page.evaluate(() => {
    const c = document.createElement("canvas");
    c.width = 240;
    c.height = 120;
    const ctx = c.getContext("2d")!;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, 240, 120);
    ctx.fillStyle = "#fff";
    ctx.fillRect(30, 15, 24, 90);
    ctx.beginPath();
    ctx.arc(180, 60, 14, 0, 2 * Math.PI);
    ctx.fill();
    return c.toDataURL("image/png").split(",")[1]!;
  });
}

async function overlayShown(): Promise<boolean> {
  return (await page.getAttribute("[data-testid=saliency-overlay]", "data-shown")) === "true";
}

describe("saliency maps", () => {
  it("lays gradient × input over the drawing, brightest on the stroke; an MLP is not offered Grad-CAM, with the reason", {
    timeout: 200_000,
  }, async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${studio.url}#/build`);
    await trainTemplate("mlp", 300);
    await go("draw");
    await drawL();
    await expect.poll(() => page.textContent("[data-testid=prediction]"), { timeout: 20_000 }).toBeTruthy();
    const toggle = page.getByRole("button", { name: "Show what it looked at" });
    expect(await toggle.getAttribute("aria-pressed")).toBe("false");
    await toggle.click();
    expect(await toggle.getAttribute("aria-pressed")).toBe("true");
    await expect.poll(overlayShown, { timeout: 30_000 }).toBe(true);
    // An MLP has no feature maps: Grad-CAM is there but disabled, and the page says why.
    const gradCam = page.getByRole("radio", { name: "Grad-CAM" });
    expect(await gradCam.isDisabled()).toBe(true);
    expect(await page.getByRole("radio", { name: "Gradient × input" }).isChecked()).toBe(true);
    expect(await page.getByTestId("gradcam-unavailable").textContent()).toMatch(
      /Grad-CAM needs a layer whose output is an image.*use Gradient × input/,
    );
    const reading = await readOverlay();
    expect(reading.painted).toBeGreaterThan(500);
    expect(reading.brightest).toBeGreaterThan(10);
    // The brightest pixels lie on the L, and their centre inside its bounding box.
    expect(reading.brightestOnInk / reading.brightest).toBeGreaterThan(0.9);
    const [x0, y0, x1, y1] = reading.inkBox;
    expect(reading.centre[0]).toBeGreaterThanOrEqual(x0);
    expect(reading.centre[0]).toBeLessThanOrEqual(x1);
    expect(reading.centre[1]).toBeGreaterThanOrEqual(y0);
    expect(reading.centre[1]).toBeLessThanOrEqual(y1);
    expect(await page.textContent("[data-testid=saliency-status]")).toMatch(
      /Showing what drove the prediction \w+ \([\d.]+%\) by Gradient × input/,
    );
    expect(await page.getByTestId("saliency-input").isVisible()).toBe(true);
    // Another class: the status names it, and the map is recomputed for it.
    const predicted = (await page.textContent("[data-testid=prediction]"))!;
    const other = (await page.locator("[data-testid=probabilities] li span:first-child").allTextContents()).find(
      (c) => c !== predicted,
    )!;
    await page.getByLabel("Explain").selectOption({ label: other });
    await expect
      .poll(() => page.textContent("[data-testid=saliency-status]"), { timeout: 20_000 })
      .toMatch(new RegExp(`(Showing what drove ${other} \\(|Nothing in this image raised the score of ${other})`));
    await page.getByLabel("Explain").selectOption({ index: 0 });
    await page.locator("[data-testid=saliency-panel]").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/draw-mlp-1440.png` });
    // Clear empties the overlay with the drawing.
    await page.getByRole("button", { name: "Clear" }).click();
    await expect.poll(overlayShown).toBe(false);
  });

  it("offers Grad-CAM for a conv net and lays its map over the drawing", { timeout: 200_000 }, async () => {
    // A link to the small conv net reloads the page: the MLP trained above is gone, the conv net is the only model.
    const setup: Studio = { spec: smallConvNet(), config: defaultTrainingConfig(), dataset: DEFAULT_DATASET };
    await page.goto(shareLink(`${studio.url}/#/build`, setup));
    await trainBuilt(300);
    await go("draw");
    // The newest run (the conv net) is the one picked by default.
    await drawL();
    await page.getByRole("button", { name: "Show what it looked at" }).click();
    await expect.poll(overlayShown, { timeout: 60_000 }).toBe(true);
    // Gradient × input first (the default): on the stroke for the conv net too.
    const gradients = await readOverlay();
    expect(gradients.brightestOnInk / gradients.brightest).toBeGreaterThan(0.8);
    const gradCam = page.getByRole("radio", { name: "Grad-CAM" });
    expect(await gradCam.isDisabled()).toBe(false);
    expect(await page.getByTestId("gradcam-unavailable").count()).toBe(0);
    await gradCam.check();
    await expect
      .poll(() => page.textContent("[data-testid=saliency-status]"), { timeout: 60_000 })
      .toMatch(/by Grad-CAM|Nothing in this image raised/);
    const status = (await page.textContent("[data-testid=saliency-status]"))!;
    if (status.includes("by Grad-CAM")) {
      const reading = await readOverlay();
      expect(reading.painted).toBeGreaterThan(500);
      // Grad-CAM is coarse (the last feature maps are 7×7): its brightest region is near the drawing, not on each pixel.
      const [x0, y0, x1, y1] = reading.inkBox;
      expect(reading.centre[0]).toBeGreaterThanOrEqual(x0 - 40);
      expect(reading.centre[0]).toBeLessThanOrEqual(x1 + 40);
      expect(reading.centre[1]).toBeGreaterThanOrEqual(y0 - 40);
      expect(reading.centre[1]).toBeLessThanOrEqual(y1 + 40);
    }
    await page.locator("[data-testid=saliency-panel]").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/draw-cnn-gradcam-1440.png` });
    // An upload is fitted into the canvas (a wide image letterboxed): the map follows it there.
    await page.getByRole("radio", { name: "Gradient × input" }).check();
    await expect
      .poll(() => page.textContent("[data-testid=saliency-status]"), { timeout: 60_000 })
      .toMatch(/by Gradient × input/);
    await page.setInputFiles(".draw-page input[type=file]", {
      name: "wide.png",
      mimeType: "image/png",
      buffer: Buffer.from(await widePng(), "base64"),
    });
    // The 240×120 image fills the canvas's width and 140 of its 280 rows, from row 70.
    await expect.poll(async () => (await readOverlay()).inkBox[1], { timeout: 20_000 }).toBeGreaterThanOrEqual(70);
    expect((await readOverlay()).inkBox[3]).toBeLessThan(210);
    // The L's map over the upload puts under half of its brightest pixels on the bar and the dot; the upload's own
    // map, placed where the canvas shows the image, puts most of them there.
    await expect
      .poll(
        async () => {
          const r = await readOverlay();
          return r.brightestOnInk / r.brightest;
        },
        { timeout: 60_000 },
      )
      .toBeGreaterThan(0.8);
    await page.screenshot({ path: `${SHOTS}/draw-upload-1440.png` });
    await page.setViewportSize({ width: 375, height: 740 });
    await page.locator("[data-testid=draw-canvas]").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/draw-cnn-gradcam-375.png` });
    await page.locator("[data-testid=saliency-panel]").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/draw-cnn-panel-375.png` });
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it("shows a clicked test image's map in the run's results", { timeout: 120_000 }, async () => {
    await go("train");
    const results = page.getByTestId("results");
    await expect.poll(() => results.isVisible(), { timeout: 30_000 }).toBe(true);
    const first = results.getByRole("button", { name: /Show what the model looked at in test image \d+/ }).first();
    const label = (await first.getAttribute("aria-label"))!;
    const index = Number(/(\d+)$/.exec(label)![1]);
    await first.click();
    const panel = page.getByTestId("test-saliency");
    await expect.poll(() => panel.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await panel.getByRole("heading").textContent()).toContain(`Test image ${index}: predicted`);
    await expect
      .poll(() => page.getAttribute("[data-testid=test-saliency-status]", "data-ready"), { timeout: 60_000 })
      .toBe("true");
    // The heat map changes the image: the blended canvas differs from the plain one somewhere.
    const differs = await panel.evaluate((el) => {
      const [plain, heat] = Array.from(el.querySelectorAll("canvas"));
      const read = (c: HTMLCanvasElement) => c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      const a = read(plain!);
      const b = read(heat!);
      let n = 0;
      for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > 8) n++;
      return n;
    });
    expect(differs).toBeGreaterThan(10);
    await page.getByRole("radio", { name: "Grad-CAM" }).last().check();
    await expect
      .poll(() => page.textContent("[data-testid=test-saliency-status]"), { timeout: 60_000 })
      .toMatch(/by Grad-CAM|Nothing in this image raised/);
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/results-test-image-1440.png` });
    await page.setViewportSize({ width: 375, height: 740 });
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/results-test-image-375.png` });
    await page.setViewportSize({ width: 1440, height: 900 });
    await panel.getByRole("button", { name: "Close" }).click();
    await expect.poll(() => panel.count()).toBe(0);
    expect(studio.errors).toEqual([]);
  });
});
