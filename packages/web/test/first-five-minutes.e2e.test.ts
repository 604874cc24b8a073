import { mkdirSync } from "node:fs";
import type { Locator, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { serveStudio } from "./harness";

/*
 * A learner's first five minutes, against the real LayerLab server (MNIST is
 * built in and offline): from a fresh page to a trained MNIST model and a
 * prediction of a drawn digit, counting the learner's actions (clicks and
 * choices, not waits). Each step's control and its result must be inside the
 * 1440×900 window, and each step leaves a screenshot in /tmp/shots/first/.
 * The browser is fresh, so the first-run tour opens: it must not cost an action.
 */

const SHOTS = "/tmp/shots/first";
const VIEWPORT = { width: 1440, height: 900 };
const studio = serveStudio("first-five-minutes", { server: true, tour: true });
let page: Page;
let url: string;
beforeAll(async () => {
  ({ page, url } = studio);
  await page.setViewportSize(VIEWPORT);
  mkdirSync(SHOTS, { recursive: true });
});

/** Whether `target`'s box lies wholly inside the 1440×900 window (polled: Start scrolls smoothly). */
async function expectInView(target: Locator, what: string): Promise<void> {
  await expect
    .poll(
      async () => {
        const box = await target.boundingBox();
        return (
          box !== null &&
          box.x >= 0 &&
          box.y >= 0 &&
          box.x + box.width <= VIEWPORT.width &&
          box.y + box.height <= VIEWPORT.height
        );
      },
      { timeout: 10_000, message: `${what} is inside the 1440×900 window` },
    )
    .toBe(true);
}

/** Draws a "1": one vertical stroke down the middle of the canvas. */
async function drawOne(p: Page): Promise<void> {
  const box = (await p.locator("[data-testid=draw-canvas]").boundingBox())!;
  await p.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
  await p.mouse.down();
  await p.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 12 });
  await p.mouse.up();
}

describe("a learner's first five minutes", () => {
  it("goes from a fresh page to a drawn digit's prediction in 4 actions, every step in view", {
    timeout: 240_000,
  }, async () => {
    let actions = 0;
    /** One learner action: its control is in view before it is used. */
    const act = async (control: Locator, what: string, use: (c: Locator) => Promise<void>) => {
      await expectInView(control, what);
      await use(control);
      actions++;
    };
    const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${actions}-${name}.png` });

    await page.goto(`${url}/`);
    await expect.poll(() => page.locator("[data-testid=output-follows]").textContent()).toContain("3 classes");
    // The first-run tour is there, and in nobody's way: going to a page yourself ends it.
    const tour = page.getByRole("dialog", { name: "Build a model" });
    await expect.poll(() => tour.isVisible(), { timeout: 10_000 }).toBe(true);
    await shot("open");

    // 1: the nav's "Data & train".
    await act(page.locator('nav a[href="#/train"]'), "the Data & train link", (c) => c.click());
    const mnist = page.getByRole("radio", { name: /^\s*mnist \(/ });
    await expect.poll(() => mnist.count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByRole("dialog").count()).toBe(0);
    await shot("data-and-train");

    // 2: choose MNIST. The output layer follows its 10 classes: no detour to the builder.
    await act(mnist, "the MNIST choice", (c) => c.check());
    await expect.poll(() => page.locator("text=Cannot start").count()).toBe(0);
    expect(await page.isDisabled("[data-testid=start]")).toBe(false);
    await shot("mnist");

    // Not counted: the test trains on 2000 samples for 1 epoch to be quick; a learner keeps the defaults.
    await page.fill("#cfg-epochs", "1");
    await page.fill("#limit", "2000");

    // 3: Start. The dashboard comes into view by itself.
    await act(page.locator("[data-testid=start]"), "Start training", (c) => c.click());
    await expectInView(page.locator("#dash-h"), "the dashboard's heading");
    await expectInView(page.locator("[data-testid=run-status]"), "the run's status");
    await shot("started");

    await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 180_000 }).toBe("done");
    await shot("done");

    // 4: "Test this model", in view when the run ends.
    await act(page.locator("[data-testid=test-this-model]"), "Test this model", (c) => c.click());
    await expect.poll(() => page.locator("[data-testid=draw-canvas]").count()).toBe(1);
    // The model just trained is the one chosen: ten digit classes.
    await expect.poll(() => page.locator("[data-testid=probabilities] li").count(), { timeout: 20_000 }).toBe(10);
    await shot("draw-page");

    // Exactly 4 actions (Data & train, MNIST, Start, Test this model) before drawing.
    expect(actions).toBe(4);

    // 5: draw a digit; the prediction shows, in view.
    await expectInView(page.locator("[data-testid=draw-canvas]"), "the drawing canvas");
    await drawOne(page);
    actions++;
    const prediction = page.locator("[data-testid=prediction]").first();
    await expect.poll(() => prediction.count(), { timeout: 30_000 }).toBe(1);
    expect("0123456789").toContain(await prediction.textContent());
    await expectInView(prediction, "the prediction");
    await shot("predicted");

    // Clear erases the drawing and its prediction.
    await act(page.getByRole("button", { name: "Clear" }), "Clear", (c) => c.click());
    await expect.poll(() => page.locator("[data-testid=prediction]").count()).toBe(0);
    expect(await page.locator("[data-testid=probabilities] .prediction").first().textContent()).toBe("Draw something.");
    await shot("cleared");
  });
});
