import { mkdirSync } from "node:fs";
import { RunPage } from "@layerlab/api";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { serveStudio, zipOf } from "./harness";

/*
 * Uploading an image to the Draw page gives a browser-trained model the
 * input it was trained on. A colour dataset made here (warm or cool squares
 * whose RGB means are equal, so only the colour planes tell them apart) is
 * imported through the page, the same CNN trains in this browser and on the
 * server, and fresh images are uploaded to predict with both: the page's
 * answer for the browser model equals the server's answer for that model's
 * uploaded weights, and the two models agree on the classes.
 */

const SHOTS = "/tmp/shots/upload-predict";
const studio = serveStudio("upload-predict", { server: true });
let page: Page;
let errors: string[];
let url: string;
beforeAll(() => {
  ({ page, errors, url } = studio);
  mkdirSync(SHOTS, { recursive: true });
});

const CLASSES = ["cool", "warm"] as const;
/** Colours with the same RGB mean (100): a page that reads images as grey sees one class. */
const COLOUR = { warm: [200, 100, 0], cool: [0, 100, 200] } as const;

/** A seeded 40×40 RGB PNG: a dark background and a square of the class's colour at a seeded place and size. */
function squarePng(cls: (typeof CLASSES)[number], seed: number): Promise<Buffer> {
  let state = seed * 7919 + 17;
  const rand = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % n;
  };
  const side = 40;
  const pixels = Buffer.alloc(side * side * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = 30 + rand(20);
  const size = 12 + rand(10);
  const x0 = rand(side - size);
  const y0 = rand(side - size);
  const shade = 0.8 + rand(40) / 100;
  for (let y = y0; y < y0 + size; y++) {
    for (let x = x0; x < x0 + size; x++) {
      for (let c = 0; c < 3; c++) pixels[(y * side + x) * 3 + c] = Math.round(COLOUR[cls][c]! * shade);
    }
  }
  return sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toBuffer();
}

/** The runs the server lists, newest first. */
async function runs() {
  return RunPage.parse(await (await fetch(`${url}/api/runs`)).json()).runs;
}

/** The server's probabilities for `png` with run `id`'s model. */
async function serverAnswer(id: string, png: Buffer): Promise<{ classes: string[]; probabilities: number[] }> {
  const res = await fetch(`${url}/api/runs/${id}/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ image: `data:image/png;base64,${png.toString("base64")}` }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { classes: string[]; probabilities: number[] };
}

/** The percentages a probabilities panel shows, per class in its order. */
async function shownPercentages(p: Page, where: "this browser" | "server"): Promise<number[]> {
  const panel = p.locator("[data-testid=probabilities]", { hasText: `(${where}` });
  return panel
    .locator("li")
    .evaluateAll((items) => items.map((li) => Number.parseFloat(li.lastElementChild?.textContent ?? "")));
}

/** Whether the shown percentages are `probabilities` as the page rounds them. */
const shows = (shown: number[], probabilities: number[]) =>
  shown.length === probabilities.length && shown.every((v, i) => Math.abs(v - probabilities[i]! * 100) <= 0.051);

const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));

describe("uploading an image to predict", () => {
  it("gives a browser-trained CNN the input it trained on: the page and the server agree", {
    timeout: 240_000,
  }, async () => {
    const files: Record<string, Buffer> = {};
    for (const cls of CLASSES) for (let k = 0; k < 20; k++) files[`${cls}/${k}.png`] = await squarePng(cls, k);
    await page.goto(`${url}/#/train`);
    const upload = page.locator('input[type=file][accept*="zip"]');
    await expect.poll(() => upload.count(), { timeout: 20_000 }).toBe(1);
    await upload.setInputFiles({ name: "colours.zip", mimeType: "application/zip", buffer: zipOf(files) });
    const choice = page.getByRole("radio", { name: /colours/ });
    await expect.poll(() => choice.count(), { timeout: 60_000 }).toBe(1);
    await choice.check();

    // The CNN template on this data, trained a few small steps here and then on the server.
    await page.click('nav a[href="#/build"]');
    await page.getByTestId("template-cnn").click();
    await page.click('nav a[href="#/train"]');
    await page.fill("#cfg-epochs", "3");
    await page.fill("#cfg-batchSize", "8");
    await page.getByTestId("start").click();
    await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 120_000 }).toBe("done");
    await page.getByRole("radio", { name: /^\s*Server/ }).check();
    await page.getByTestId("start").click();
    // The browser run has this configuration already: the page asks, and the server trains a copy.
    await page.getByRole("button", { name: "Train a new copy" }).click();
    const finished = async () => {
      const all = await runs();
      const browser = all.find((r) => r.executor === "browser");
      const server = all.find((r) => r.executor === "server");
      return browser?.status === "succeeded" && server?.status === "succeeded" ? { browser, server } : null;
    };
    await expect.poll(finished, { timeout: 120_000, interval: 500 }).not.toBeNull();
    const { browser, server } = (await finished())!;
    // The browser run's weights and statistics reach the server once it has finished.
    await expect
      .poll(async () => (await fetch(`${url}/api/runs/${browser.id}/artifacts/normalization.json`)).status, {
        timeout: 30_000,
      })
      .toBe(200);

    await page.click('nav a[href="#/draw"]');
    // Both runs share a name (same model, data and settings): their panels say where each was trained.
    const chips = page.locator("fieldset.chips").getByRole("checkbox", { name: browser.name, exact: true });
    await expect.poll(() => chips.count(), { timeout: 20_000 }).toBe(2);
    for (const chip of await chips.all()) await chip.check();
    await expect.poll(() => page.locator("[data-testid=probabilities]").count(), { timeout: 10_000 }).toBe(2);

    const imageInput = page.locator('input[type=file][accept="image/*"]');
    const labels: { truth: number; browser: number; server: number }[] = [];
    for (const [k, cls] of ["warm", "cool", "cool", "warm"].entries()) {
      const png = await squarePng(cls as (typeof CLASSES)[number], 1000 + k);
      const [fromBrowserModel, fromServerModel] = await Promise.all([
        serverAnswer(browser.id, png),
        serverAnswer(server.id, png),
      ]);
      await imageInput.setInputFiles({ name: `${cls}-${k}.png`, mimeType: "image/png", buffer: png });
      // The page's own prediction with the browser model is the server's for the same weights and image.
      await expect
        .poll(async () => shows(await shownPercentages(page, "this browser"), fromBrowserModel.probabilities), {
          timeout: 20_000,
          message: `the page's browser-model answer for ${cls}-${k}.png is the server's ${fromBrowserModel.probabilities}`,
        })
        .toBe(true);
      await expect
        .poll(async () => shows(await shownPercentages(page, "server"), fromServerModel.probabilities), {
          timeout: 20_000,
        })
        .toBe(true);
      labels.push({
        truth: fromBrowserModel.classes.indexOf(cls),
        browser: argmax(fromBrowserModel.probabilities),
        server: argmax(fromServerModel.probabilities),
      });
      if (k === 0) await page.screenshot({ path: `${SHOTS}/uploaded.png`, fullPage: true });
    }
    // Not one class for everything, right on most, and the two models agree on most.
    expect(new Set(labels.map((l) => l.browser)).size).toBe(2);
    expect(labels.filter((l) => l.browser === l.truth).length).toBeGreaterThanOrEqual(3);
    expect(labels.filter((l) => l.server === l.truth).length).toBeGreaterThanOrEqual(3);
    expect(labels.filter((l) => l.browser === l.server).length).toBeGreaterThanOrEqual(3);
  });

  it("logs no console errors, the duplicate configuration's included", () => {
    expect(errors).toEqual([]);
  });
});
