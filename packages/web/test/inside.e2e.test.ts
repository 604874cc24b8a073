import { analyzeSpec } from "@layerlab/spec";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { setupFromUrl } from "../src/state/share";
import { drawSquare, paintedPixels, serveStudio, trainWithTooHighLearningRate } from "./harness";

/*
 * The "look inside" views on the drawing page, in headless Chromium against
 * the production build: the 3D network view renders frames of a live model,
 * and a conv net's feature-map grid has the spec's channels and sizes.
 */

const studio = serveStudio("inside");
let page: Page;
let errors: string[];
beforeAll(() => {
  ({ page, errors } = studio);
});

async function go(p: Page, route: string): Promise<void> {
  await p.click(`nav a[href="#/${route}"]`);
  await expect.poll(() => new URL(p.url()).hash).toBe(`#/${route}`);
}

/** Picks template `id`, trains it for one short epoch in the page and waits until the run is done. */
async function trainTemplate(id: string, limit: number): Promise<void> {
  await go(page, "build");
  await page.click(`[data-testid=template-${id}]`);
  await expect.poll(() => page.textContent("[data-testid=spec-status]")).toContain("ready to train");
  await go(page, "train");
  await expect.poll(() => page.textContent("[data-testid=backend]"), { timeout: 30_000 }).toMatch(/Wasm|WebGPU/);
  await page.fill("#cfg-epochs", "1");
  await page.fill("#limit", String(limit));
  await page.click("[data-testid=start]");
  await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 150_000 }).toBe("done");
}

describe("look inside the model", () => {
  it("renders the dense net in 3D with a live model", { timeout: 200_000 }, async () => {
    await page.goto(`${studio.url}#/build`);
    await trainTemplate("mlp", 600);
    // The dashboard charted the engine's per-layer gradient statistics.
    const gradPoints = await page.getAttribute("[data-testid=chart-grad-norm]", "data-points");
    expect(Number(gradPoints)).toBeGreaterThan(0);
    await go(page, "draw");
    await drawSquare(page);
    const view = page.locator("[data-testid=network-3d]");
    await expect.poll(() => view.getAttribute("data-frames").then(Number), { timeout: 30_000 }).toBeGreaterThan(0);
    // The WebGL canvas (preserveDrawingBuffer) holds drawn pixels: count the non-transparent ones.
    const painted = await paintedPixels(view.locator("canvas"));
    expect(painted).toBeGreaterThan(500);
    // Changing N rebuilds the connections and renders again.
    const before = Number(await view.getAttribute("data-frames"));
    await page.fill("#top-n", "20");
    await expect.poll(() => view.getAttribute("data-frames").then(Number)).toBeGreaterThan(before);
  });

  it("shows a conv net's channels as a grid whose count and sizes match the spec", { timeout: 200_000 }, async () => {
    await trainTemplate("conv-nn", 300);
    const setup = setupFromUrl(page.url());
    expect(setup?.ok).toBe(true);
    const analysis = analyzeSpec(setup!.ok ? setup!.studio.spec : null);
    const convs = analysis.layers.filter((l) => l.kind === "conv2d");
    expect(convs.length).toBeGreaterThan(0);
    await go(page, "draw");
    // The newest run (the conv net) is the one picked by default.
    expect(await page.locator(".chips input:checked").count()).toBe(1);
    await drawSquare(page);
    await expect.poll(() => page.locator("[data-testid^=fmap-layer-]").count(), { timeout: 30_000 }).toBe(convs.length);
    for (const conv of convs) {
      const [channels, h, w] = conv.outShape as number[];
      const layer = page.locator(`[data-testid=fmap-layer-${conv.index}]`);
      expect(await layer.locator("[data-testid=fmap]").count()).toBe(channels);
      const sizes = await layer
        .locator("[data-testid=fmap]")
        .evaluateAll((cs) => [
          ...new Set(cs.map((c) => `${(c as HTMLCanvasElement).width}x${(c as HTMLCanvasElement).height}`)),
        ]);
      expect(sizes).toEqual([`${w}x${h}`]);
      const filters = await layer.locator("[data-testid=filter]").count();
      expect(filters).toBe(channels);
    }
    // No 3D view for a conv net; clicking a channel enlarges it.
    expect(await page.locator("[data-testid=network-3d]").count()).toBe(0);
    await page.locator(`[data-testid=fmap-layer-${convs[0]!.index}] .fmap-cell`).nth(1).click();
    await expect.poll(() => page.locator("[data-testid=fmap-enlarged]").textContent()).toContain("channel 2");
  });

  it("the doctor flags a far too high learning rate and its one-click fix can be undone", {
    timeout: 200_000,
  }, async () => {
    await trainWithTooHighLearningRate(page);
    const fixable = page.locator("[data-testid=doctor] li.finding:has(button.fix)");
    await expect.poll(() => fixable.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const lrFinding = page.locator("[data-testid=doctor] li.finding:has(button.fix)", { hasText: /learning rate/i });
    expect(await lrFinding.count()).toBeGreaterThan(0);
    expect(await lrFinding.first().locator(".evidence").textContent()).toBeTruthy();
    // No server, so no LLM: the doctor offers no AI explanation.
    expect(await page.locator("[data-testid=llm-explanation]").count()).toBe(0);
    await lrFinding.first().locator("button.fix").click();
    const lr = Number(await page.inputValue("#cfg-learningRate"));
    expect(lr).toBeLessThan(5);
    expect(lr).toBeGreaterThan(0);
    await go(page, "build");
    await page.click("text=Undo");
    await go(page, "train");
    expect(Number(await page.inputValue("#cfg-learningRate"))).toBe(5);
  });

  it("logs no console errors", () => {
    expect(errors).toEqual([]);
  });
});
