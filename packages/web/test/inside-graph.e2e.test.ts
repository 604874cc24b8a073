import { mkdirSync } from "node:fs";
import { analyzeSpec, defaultTrainingConfig, MODEL_FORMAT } from "@layerlab/spec";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { ShapesChoice } from "../src/data/datasets";
import { shareLink } from "../src/state/share";
import type { Studio } from "../src/state/studio";
import { drawSquare, RESULTS_DIR, serveStudio } from "./harness";

/*
 * Graph models in headless Chromium against the production build: a share link made before graphs (its
 * spec says "layerlab.model/1") still opens in the builder; a residual block and a branch joined by a
 * concat, opened from a share link and trained for one epoch in the page, show every node's feature maps
 * (the add's and the concat's too) and stand in 3D with the merges labelled.
 */

const studio = serveStudio("inside-graph");
let page: Page;
beforeAll(() => {
  ({ page } = studio);
});

const CLASSES = ["circle", "square", "triangle"];
const dataset: ShapesChoice = {
  kind: "shapes",
  shapes: CLASSES as ShapesChoice["shapes"],
  size: 16,
  countPerClass: 60,
  seed: 0,
};
const spec: Studio["spec"] = {
  format: MODEL_FORMAT,
  name: "tiny residual with a branch",
  input: { shape: [1, 16, 16] },
  layers: [
    { kind: "conv2d", id: "stem", filters: 4, kernel: 3, padding: "same", bias: false },
    { kind: "batchNorm" },
    { kind: "activation", fn: "relu", id: "s1" },
    { kind: "conv2d", filters: 4, kernel: 3, padding: "same", bias: false },
    { kind: "batchNorm", id: "b1" },
    { kind: "add", inputs: ["b1", "s1"] },
    { kind: "activation", fn: "relu", id: "r1" },
    { kind: "conv2d", id: "side", filters: 2, kernel: 1, inputs: ["input"] },
    { kind: "concat", inputs: ["r1", "side"] },
    { kind: "maxPool2d", size: 2 },
    { kind: "globalAvgPool" },
    { kind: "dense", units: 3 },
  ],
  classes: CLASSES,
};

async function go(p: Page, route: string): Promise<void> {
  await p.click(`nav a[href="#/${route}"]`);
  await expect.poll(() => new URL(p.url()).hash).toBe(`#/${route}`);
}

describe("share links from before graphs", () => {
  it("open an old /1 link in the builder, ready to train, with the parameters it had", async () => {
    const oldSpec = {
      format: "layerlab.model/1",
      input: { shape: [1, 16, 16] },
      layers: [{ kind: "flatten" }, { kind: "dense", units: 12, activation: "relu" }, { kind: "dense", units: 3 }],
      classes: CLASSES,
    };
    // Exactly what the studio wrote into the address before graphs: base64url of the setup's JSON.
    const token = Buffer.from(JSON.stringify({ v: 1, spec: oldSpec, config: { epochs: 1 }, dataset }), "utf8").toString(
      "base64url",
    );
    await page.goto(`${studio.url}/?setup=${token}#/build`);
    await expect
      .poll(() => page.textContent("[data-testid=spec-status]"), { timeout: 20_000 })
      .toContain("ready to train");
    expect(await page.textContent("[data-testid=total-params]")).toBe(
      (256 * 12 + 12 + 12 * 3 + 3).toLocaleString("en-US"),
    );
    // The address the studio writes back carries the spec in today's format.
    await page.fill("#layer-1-units", "13");
    const written = () =>
      JSON.parse(
        Buffer.from(new URL(page.url()).searchParams.get("setup") ?? "", "base64url").toString("utf8") || "{}",
      );
    await expect.poll(() => written().spec?.layers?.[1]?.units).toBe(13);
    expect(written().spec.format).toBe(MODEL_FORMAT);
  });
});

describe("look inside a graph model", () => {
  it("shows every node's feature maps and the branches in 3D", { timeout: 240_000 }, async () => {
    const analysis = analyzeSpec(spec);
    expect(analysis.ok).toBe(true);
    await page.setViewportSize({ width: 1440, height: 900 });
    const config = { ...defaultTrainingConfig(), epochs: 1, batchSize: 16 };
    await page.goto(shareLink(`${studio.url}/#/train`, { spec, config, dataset }));
    await expect.poll(() => page.textContent("[data-testid=backend]"), { timeout: 30_000 }).toMatch(/Wasm|WebGPU/);
    await page.click("[data-testid=start]");
    await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 180_000 }).toBe("done");
    await go(page, "draw");
    await drawSquare(page);
    const images = analysis.layers.filter((l) => l.outShape?.length === 3);
    await expect
      .poll(() => page.locator("[data-testid^=fmap-layer-]").count(), { timeout: 30_000 })
      .toBe(images.length);
    // The add and the concat show their channels, and say what they take.
    const add = page.locator("[data-testid=fmap-layer-5]");
    expect(await add.locator("h4").textContent()).toBe(
      "add #6: 4 channels of 16×16 — adds batchNorm #5 'b1' and activation #3 's1'",
    );
    expect(await add.locator("[data-testid=fmap]").count()).toBe(4);
    const concat = page.locator("[data-testid=fmap-layer-8]");
    expect(await concat.locator("h4").textContent()).toContain(
      "joins the channels of activation #7 'r1' and conv2d #8 'side'",
    );
    expect(await concat.locator("[data-testid=fmap]").count()).toBe(6);
    // In 3D: the merges are blocks of their own, labelled like the layers.
    const view = page.locator("[data-testid=network-3d]");
    await expect.poll(() => view.getAttribute("data-frames").then(Number), { timeout: 30_000 }).toBeGreaterThan(0);
    for (const name of ["add #6 · 4×16×16", "concat #9 · 6×16×16", "conv #8 · 2×16×16"]) {
      await expect.poll(() => view.getByText(name).first().isVisible(), { timeout: 20_000 }).toBe(true);
    }
    mkdirSync("/tmp/shots/graph-inside", { recursive: true });
    await view.evaluate((el) => el.scrollIntoView({ block: "center" }));
    await page.screenshot({ path: "/tmp/shots/graph-inside/inside-3d.png" });
    await add.evaluate((el) => el.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: "/tmp/shots/graph-inside/feature-maps.png" });
    await page.screenshot({ path: `${RESULTS_DIR}inside-graph.png` });
  });
});
