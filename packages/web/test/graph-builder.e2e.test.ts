import { mkdirSync } from "node:fs";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOUR_SEEN_KEY } from "../src/guide/tourSeen";
import { openPage, serveStudio } from "./harness";

/*
 * Skip connections in the builder, end to end in headless Chromium: a new user starts from the CNN template
 * (a chain), feeds conv2d #1's output around the pooling into conv2d #3 — by dragging its output dot, and
 * again from the keyboard — sees the add's named error and fixes it with the 1×1 projection in one click,
 * sees the skip edge and its shape in the diagram, reloads, and trains the graph model for a few steps.
 * Screenshots at 1440×900 and 375×740 go to SHOTS.
 */

const SHOTS = "/tmp/shots/graph-builder";
const studio = serveStudio("graph-builder");
let page: Page;
let errors: string[];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ({ page, errors } = await openPage(studio.browser, { width: 1440, height: 900 }));
});
afterAll(async () => {
  await page.context().close();
});

const layers = () => page.locator("ol.layers > li[data-testid^=layer-]");
const kinds = () => layers().locator(".layer-kind").allTextContents();
const status = () => page.textContent("[data-testid=spec-status]");

/**
 * The CNN template on generated 12×12 shapes (small, so that training a few steps stays quick):
 * conv2d [32,10,10] → pool [32,5,5] → conv2d → … → dense.
 */
async function startFromCnn(p: Page): Promise<void> {
  await p.goto(`${studio.url}#/train`);
  await p.fill("#shape-size", "12");
  await p.click('nav a[href="#/build"]');
  await expect.poll(() => p.textContent(".stack .toolbar")).toContain("input [1,12,12]");
  await p.click("[data-testid=template-cnn]");
  await expect.poll(() => status()).toContain("ready to train");
  expect(await kinds()).toEqual(["conv2d", "maxPool2d", "conv2d", "maxPool2d", "flatten", "dense", "dense"]);
}

/** The add's error names both shapes and offers the projection; the fix inserts it and the model is ready again. */
async function fixWithProjection(p: Page, press: (fix: Locator) => Promise<void>): Promise<void> {
  const add = p.locator("[data-testid=layer-2]");
  expect(await add.locator(".layer-kind").textContent()).toBe("add");
  await expect.poll(() => status()).toMatch(/1 error/);
  const problem = add.locator("[data-testid=problem]");
  expect(await problem.textContent()).toContain(
    "add #3 adds tensors of different shapes: [32,5,5] from maxPool2d #2 ('maxPool2d_2') and [32,10,10] from conv2d #1 ('conv2d_1')",
  );
  const fix = add.getByRole("button", {
    name: /^Fix: project the shortcut from conv2d #1 .* with a 1×1 conv to \[32,5,5\]$/,
  });
  await press(fix);
  await expect.poll(() => status()).toContain("ready to train");
  expect(await kinds()).toEqual([
    "conv2d",
    "maxPool2d",
    "conv2d",
    "add",
    "conv2d",
    "maxPool2d",
    "flatten",
    "dense",
    "dense",
  ]);
  // The projection takes conv2d #1 (not the layer before it), and the add lists both of its inputs.
  expect(await p.textContent("[data-testid=layer-2] [data-testid=layer-inputs]")).toContain("conv2d #1");
  const inputs = p.locator("[data-testid=layer-3]").getByRole("list", { name: "Inputs of add #4" });
  expect(await inputs.getByRole("listitem").allTextContents()).toEqual(["maxPool2d #2✕", "conv2d #3✕"]);
}

/** Back to the plain template: undo until the add is gone. */
async function undoToChain(p: Page): Promise<void> {
  await p.getByRole("button", { name: "Undo", exact: true }).click();
  await p.getByRole("button", { name: "Undo", exact: true }).click();
  await expect.poll(() => kinds()).toEqual(["conv2d", "maxPool2d", "conv2d", "maxPool2d", "flatten", "dense", "dense"]);
}

describe("skip connections in the builder", () => {
  it("drags from conv2d #1's output onto conv2d #3: an add appears, with a named error and the 1×1 fix", async () => {
    await startFromCnn(page);
    const handle = page.locator("[data-testid=output-handle-0]");
    const target = page.locator("[data-testid=layer-2]");
    const from = (await handle.boundingBox())!;
    const to = (await target.boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 8 });
    // While dragging, the card under the pointer is marked as the target and a line follows the pointer.
    await expect.poll(() => target.getAttribute("class")).toContain("connect-over");
    expect(await page.locator(".connect-drag-line line").count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/1440-dragging.png` });
    await page.mouse.up();
    await expect.poll(() => layers().count()).toBe(8);
    expect(await page.locator(".connect-drag-line").count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/1440-add-error.png`, fullPage: true });
    await fixWithProjection(page, (fix) => fix.click());
    await page.screenshot({ path: `${SHOTS}/1440-fixed.png`, fullPage: true });
  });

  it("the diagram draws the graph: the skip edge beside the column, labelled with its shape, the add as a node", async () => {
    const diagram = page.locator("[data-testid=diagram]");
    const skips = diagram.locator("[data-testid=diagram-edge].skip");
    await expect.poll(() => skips.count()).toBe(2);
    // conv2d #1 → the projection carries [32,10,10]; maxPool2d #2 → the add carries [32,5,5].
    const skip = diagram.locator('[data-testid=diagram-edge][data-from="0"][data-to="2"]');
    expect(await skip.getAttribute("class")).toContain("skip");
    expect(await skip.locator("text").textContent()).toBe("[32,10,10]");
    expect(await diagram.locator('[data-testid=diagram-edge][data-from="1"][data-to="3"] text').textContent()).toBe(
      "[32,5,5]",
    );
    expect(await diagram.locator(".block.kind-add circle").count()).toBe(1);
    expect(await diagram.getByRole("img").getAttribute("aria-label")).toContain(
      "conv2d #1 to conv2d #3 carrying [32,10,10]",
    );
    // The label is readable: beside the column of cards, inside the drawing, overlapping no card.
    const label = (await skip.locator("text").boundingBox())!;
    for (const card of await diagram.locator("rect.card").all()) {
      const box = (await card.boundingBox())!;
      const apart =
        label.x >= box.x + box.width ||
        label.x + label.width <= box.x ||
        label.y >= box.y + box.height ||
        label.y + label.height <= box.y;
      expect(apart).toBe(true);
    }
    await diagram.scrollIntoViewIfNeeded();
    await diagram.screenshot({ path: `${SHOTS}/1440-diagram.png` });
  });

  it("does the same from the keyboard: Connect…, pick the layer, add; then the fix", async () => {
    await undoToChain(page);
    const open = page.getByRole("button", { name: "Connect conv2d #1's output to a later layer" });
    await open.focus();
    await page.keyboard.press("Enter");
    const picker = page.getByRole("combobox", { name: "Layer to take conv2d #1's output" });
    await expect.poll(() => picker.evaluate((el) => el === document.activeElement)).toBe(true);
    // The list holds the later layers, maxPool2d #2 (which takes it already) left out.
    expect(await picker.locator("option").allTextContents()).toEqual([
      "conv2d #3",
      "maxPool2d #4",
      "flatten #5",
      "dense #6",
      "dense #7",
    ]);
    await page.screenshot({ path: `${SHOTS}/1440-keyboard-connect.png` });
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Connect with add");
    await page.keyboard.press("Enter");
    await expect.poll(() => layers().count()).toBe(8);
    // The form closes and focus goes back to the button that opened it.
    await expect.poll(() => open.evaluate((el) => el === document.activeElement)).toBe(true);
    await fixWithProjection(page, async (fix) => {
      await fix.focus();
      await page.keyboard.press("Enter");
    });
    // Escape closes the form without connecting.
    await open.focus();
    await page.keyboard.press("Enter");
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator(".connect-form").count()).toBe(0);
    expect(await layers().count()).toBe(9);
  });

  it("a merge's input chip disconnects it; undo brings it back", async () => {
    await page.getByRole("button", { name: "Disconnect conv2d #3 from add #4" }).click();
    // The add is left with one input, so it goes, and the layer after it takes maxPool2d #2 again.
    await expect
      .poll(() => kinds())
      .toEqual(["conv2d", "maxPool2d", "conv2d", "conv2d", "maxPool2d", "flatten", "dense", "dense"]);
    await page.getByRole("button", { name: "Undo", exact: true }).click();
    await expect.poll(() => layers().count()).toBe(9);
    await expect.poll(() => status()).toContain("ready to train");
  });

  it("keeps the graph over a reload (the setup lives in the address) and at 375 px", async () => {
    await page.reload();
    await expect.poll(() => layers().count()).toBe(9);
    expect(await kinds()).toEqual([
      "conv2d",
      "maxPool2d",
      "conv2d",
      "add",
      "conv2d",
      "maxPool2d",
      "flatten",
      "dense",
      "dense",
    ]);
    expect(await status()).toContain("ready to train");
    expect(await page.locator("[data-testid=diagram-edge].skip").count()).toBe(2);

    const phone = await openPage(studio.browser, { width: 375, height: 740 });
    await phone.page.goto(page.url());
    await expect.poll(() => phone.page.locator("ol.layers > li").count()).toBe(9);
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.page.screenshot({ path: `${SHOTS}/375-builder-full.png`, fullPage: true });
    await phone.page.locator("[data-testid=layer-3]").scrollIntoViewIfNeeded();
    await phone.page.screenshot({ path: `${SHOTS}/375-builder-add.png` });
    const diagram = phone.page.locator("[data-testid=diagram]");
    await diagram.scrollIntoViewIfNeeded();
    await diagram.screenshot({ path: `${SHOTS}/375-diagram.png` });
    expect(phone.errors).toEqual([]);
    await phone.page.context().close();
  });

  /** A phone (375×740, touch) on the builder with `template` loaded and its layer cards counted; `touch` sends
   * real touch events through the DevTools protocol, as a finger gives them (Playwright only taps). */
  async function phoneBuilder(template: string, layers: number) {
    const context = await studio.browser.newContext({
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    await context.addInitScript((key) => localStorage.setItem(key, "dismissed by the test"), TOUR_SEEN_KEY);
    const phone = await context.newPage();
    await phone.goto(`${studio.url}#/build`);
    await phone.click(`[data-testid=template-${template}]`);
    const rows = phone.locator("ol.layers > li[data-testid^=layer-]");
    await expect.poll(() => rows.count()).toBe(layers);
    const cdp = await context.newCDPSession(phone);
    const touch = (type: "touchStart" | "touchMove" | "touchEnd", p?: { x: number; y: number }) =>
      cdp.send("Input.dispatchTouchEvent", { type, touchPoints: p ? [{ x: p.x, y: p.y }] : [] });
    return { context, phone, rows, touch };
  }

  it("connects by touch on a phone", async () => {
    const { context, phone, rows, touch } = await phoneBuilder("mlp", 4);
    await phone.locator("ol.layers").scrollIntoViewIfNeeded();
    const from = (await phone.locator("[data-testid=output-handle-0]").boundingBox())!;
    const to = (await phone.locator("[data-testid=layer-3]").boundingBox())!;
    const start = { x: from.x + from.width / 2, y: from.y + from.height / 2 };
    const end = { x: to.x + to.width / 2, y: to.y + to.height / 2 };
    await touch("touchStart", start);
    for (let k = 1; k <= 6; k++) {
      await touch("touchMove", { x: start.x + ((end.x - start.x) * k) / 6, y: start.y + ((end.y - start.y) * k) / 6 });
    }
    await touch("touchEnd");
    await expect.poll(() => rows.count()).toBe(5);
    expect(await rows.nth(3).locator(".layer-kind").textContent()).toBe("add");
    await phone.locator("[data-testid=layer-3]").scrollIntoViewIfNeeded();
    await phone.screenshot({ path: `${SHOTS}/375-touch-connected.png` });
    await context.close();
  });

  it("on a phone, a finger held at the screen's edge scrolls to a layer out of sight", async () => {
    const { context, phone, rows, touch } = await phoneBuilder("cnn", 7);
    const handle = phone.locator("[data-testid=output-handle-0]");
    await handle.scrollIntoViewIfNeeded();
    // flatten #5 lies far below: a conv card alone is about half the screen's height here.
    const target = phone.locator("[data-testid=layer-4]");
    expect((await target.boundingBox())!.y).toBeGreaterThan(740);
    const from = (await handle.boundingBox())!;
    const start = { x: from.x + from.width / 2, y: from.y + from.height / 2 };
    await touch("touchStart", start);
    await touch("touchMove", { x: start.x, y: 736 });
    // The finger rests; the page scrolls until the target is in sight.
    await expect.poll(async () => (await target.boundingBox())!.y, { timeout: 20_000 }).toBeLessThan(600);
    // The finger leaves the edge, which stops the scrolling; only then is the target's place final.
    await touch("touchMove", { x: start.x, y: 370 });
    let lastY = Number.NaN;
    await expect
      .poll(async () => {
        const y = (await target.boundingBox())!.y;
        const still = y === lastY;
        lastY = y;
        return still;
      })
      .toBe(true);
    const box = (await target.boundingBox())!;
    await touch("touchMove", { x: box.x + box.width / 2, y: box.y + box.height / 2 });
    await touch("touchEnd");
    await expect.poll(() => rows.count()).toBe(8);
    // The add goes right before flatten #5 and takes conv2d #1's output.
    expect(await rows.nth(4).locator(".layer-kind").textContent()).toBe("add");
    expect(await phone.textContent("[data-testid=layer-4] [data-testid=layer-inputs]")).toContain("conv2d #1");
    await context.close();
  });

  it("trains the graph model for a few steps", async () => {
    await page.click('nav a[href="#/train"]');
    await page.fill("#cfg-epochs", "1");
    await page.fill("#limit", "96");
    await page.click("[data-testid=start]");
    await expect
      .poll(() => page.textContent("[data-testid=run-status]"), { timeout: 150_000 })
      .toMatch(/done|diverged|error|failed/);
    expect(await page.textContent("[data-testid=run-status]")).toMatch(/done/);
    await page.screenshot({ path: `${SHOTS}/1440-trained.png`, fullPage: true });
    expect(errors).toEqual([]);
  });
});
