import { analyzeSpec } from "@layerlab/spec";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { setupFromUrl } from "../src/state/share";
import { drawSquare, paintedPixels, RESULTS_DIR, serveStudio, trainWithTooHighLearningRate } from "./harness";

/*
 * The "look inside" views on the drawing page, in headless Chromium against
 * the production build: the 3D network view labels a live model's layers and
 * prediction and follows the drawing, and a conv net's feature maps show in
 * 3D and in a grid with the spec's channels and sizes.
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

/** The probabilities panel's prediction in the 3D view's words: "square · 42%". */
async function panelLabel(): Promise<string> {
  const name = await page.textContent("[data-testid=prediction]");
  const pct = /\(([\d.]+)%\)/.exec((await page.textContent(".prediction")) ?? "")?.[1];
  return pct ? `${name} · ${Math.round(Number(pct))}%` : "no prediction yet";
}

/** Waits until the 3D view's winning-class label matches the probabilities panel (same model, same drawing). */
async function expectLabelMatchesPanel(): Promise<string> {
  const label = page.locator("[data-testid=n3d-prediction]");
  await expect.poll(async () => (await label.textContent()) === (await panelLabel()), { timeout: 20_000 }).toBe(true);
  return (await label.textContent()) ?? "";
}

/** Draws a triangle, a different input from the square. */
async function drawTriangle(): Promise<void> {
  const box = (await page.locator("[data-testid=draw-canvas]").boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + box.width * fx, box.y + box.height * fy] as const;
  await page.mouse.move(...at(0.5, 0.2));
  await page.mouse.down();
  for (const [fx, fy] of [
    [0.8, 0.8],
    [0.2, 0.8],
    [0.5, 0.2],
  ] as const) {
    await page.mouse.move(...at(fx, fy), { steps: 6 });
  }
  await page.mouse.up();
}

/** "Showing the 3 strongest inputs per neuron: 585 lines…" as [3, 585]. */
async function shownConnections(): Promise<[number, number]> {
  const text = (await page.getByTestId("connection-count").textContent()) ?? "";
  const m = /Showing the (\d+) strongest inputs per neuron: (\d+) lines/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

describe("look inside the model", () => {
  it("shows the MLP in 3D with labelled layers, its prediction and the strongest connections, live", {
    timeout: 200_000,
  }, async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
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
    expect(await paintedPixels(view.locator("canvas"))).toBeGreaterThan(500);
    const classes = await page.locator("[data-testid=probabilities] li").count();
    for (const name of ["input 28×28", "dense #2 · 128", "dense #3 · 64", `output · ${classes}`]) {
      await expect.poll(() => view.getByText(name, { exact: true }).isVisible()).toBe(true);
    }
    const first = await expectLabelMatchesPanel();
    // Every dense neuron gets N lines: N = 3 by default, then 5 after moving the slider.
    expect(await shownConnections()).toEqual([3, (128 + 64 + classes) * 3]);
    await page.fill("#top-n", "5");
    await expect.poll(shownConnections).toEqual([5, (128 + 64 + classes) * 5]);
    await view.evaluate((el) => el.scrollIntoView({ block: "center" }));
    await page.screenshot({ path: `${RESULTS_DIR}inside-3d-mlp.png` });
    // A new drawing reaches the 3D view through the same live inference as the probabilities,
    // recolouring the scene without adding geometries or textures on the GPU.
    const gpuObjects = Number(await view.getAttribute("data-gpu-objects"));
    expect(gpuObjects).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Clear" }).click();
    await drawTriangle();
    await expect.poll(() => panelLabel(), { timeout: 20_000 }).not.toBe(first);
    expect(await expectLabelMatchesPanel()).not.toBe(first);
    expect(Number(await view.getAttribute("data-gpu-objects"))).toBe(gpuObjects);
    const frames = Number(await view.getAttribute("data-frames"));
    await page.getByRole("button", { name: "Reset view" }).click();
    await expect.poll(() => view.getAttribute("data-frames").then(Number)).toBeGreaterThan(frames);
  });

  it("shows a conv net as stacks of feature maps in 3D and as a grid matching the spec", {
    timeout: 200_000,
  }, async () => {
    // A conv net's steps are the dearest in the page: only its maps' shapes are checked, so few samples.
    await trainTemplate("conv-nn", 100);
    const setup = setupFromUrl(page.url());
    expect(setup?.ok).toBe(true);
    const analysis = analyzeSpec(setup!.ok ? setup!.studio.spec : null);
    const convs = analysis.layers.filter((l) => l.kind === "conv2d");
    expect(convs.length).toBeGreaterThan(0);
    await go(page, "draw");
    // The newest run (the conv net) is the one picked by default.
    expect(await page.locator(".chips input:checked").count()).toBe(1);
    await drawSquare(page);
    // Every layer with an image output shows its maps: the convs, their poolings (and activations, if any).
    const images = analysis.layers.filter((l) => l.outShape?.length === 3);
    await expect
      .poll(() => page.locator("[data-testid^=fmap-layer-]").count(), { timeout: 30_000 })
      .toBe(images.length);
    // In 3D: one labelled stack per conv layer, at most 8 of its channels, and the predicted class.
    const view = page.locator("[data-testid=network-3d]");
    for (const conv of convs) {
      // Numbered as the builder numbers the layer.
      const label = view.getByText(`conv #${conv.index + 1} · ${(conv.outShape as number[]).join("×")}`);
      await expect.poll(() => label.isVisible(), { timeout: 20_000 }).toBe(true);
      const channels = (conv.outShape as number[])[0]!;
      if (channels > 8) expect(await label.textContent()).toContain(`showing 8 of ${channels}`);
    }
    await expectLabelMatchesPanel();
    await view.evaluate((el) => el.scrollIntoView({ block: "center" }));
    await page.screenshot({ path: `${RESULTS_DIR}inside-3d-cnn.png` });
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
      expect(await layer.locator("[data-testid=filter]").count()).toBe(channels);
    }
    // Clicking a channel of the grid enlarges it.
    await page.locator(`[data-testid=fmap-layer-${convs[0]!.index}] .fmap-cell`).nth(1).click();
    await expect.poll(() => page.locator("[data-testid=fmap-enlarged]").textContent()).toContain("channel 2");
  });

  it("the doctor flags a far too high learning rate and its one-click fix can be undone", {
    timeout: 200_000,
  }, async () => {
    await trainWithTooHighLearningRate(page);
    const fixable = page.locator("[data-testid=doctor] li.finding:has(button.fix)");
    await expect.poll(() => fixable.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    // The findings whose fix lowers the learning rate: the divergence and learning-rate rules' (dead ReLUs'
    // advice mentions the learning rate too, but its fix edits the model).
    const lrRules = ["divergence", "lr-too-high", "lr-out-of-range"].map((id) => `[data-testid=finding-${id}]`);
    const lrFinding = page.locator(`[data-testid=doctor] li.finding:is(${lrRules.join(", ")}):has(button.fix)`);
    await expect.poll(() => lrFinding.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await lrFinding.first().locator(".evidence").textContent()).toBeTruthy();
    // No server, so no LLM: the doctor offers no AI explanation.
    expect(await page.locator("[data-testid=llm-explanation]").count()).toBe(0);
    const applied = page.getByTestId((await lrFinding.first().getAttribute("data-testid"))!);
    await lrFinding.first().locator("button.fix").click();
    // The applied fix says where its change went instead of offering itself again.
    expect(await applied.getByRole("status").textContent()).toContain("Applied to the training settings");
    expect(await applied.locator("button.fix").count()).toBe(0);
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
