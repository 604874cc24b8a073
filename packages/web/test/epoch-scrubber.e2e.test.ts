import { mkdirSync } from "node:fs";
import { EpochCheckpointList, EpochPredictions } from "@layerlab/api";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPage, serveStudio, startPreview } from "./harness";

/*
 * The run page's Epochs section against the real LayerLab server: a server
 * run (the MLP on the generated shapes, 3 epochs) keeps every epoch; moving
 * the slider (keys, buttons, Play) changes the followed images' predictions
 * and the confusion matrix between epoch 1 and epoch 3, and what the page
 * shows is exactly what GET /api/runs/:id/epochs/:epoch says; a reload keeps
 * the picked epoch. A conv net's epochs show feature maps. A run kept in a
 * browser without a server scrubs its epochs in the page's worker, its last
 * epoch agreeing with its own test results. Screenshots in /tmp/shots/epochs/
 * at 1440×900 and 375×740.
 */

const SHOTS = "/tmp/shots/epochs";
const studio = serveStudio("epochs", { server: true });
let page: Page;
let url: string;

beforeAll(async () => {
  ({ page, url } = studio);
  await page.setViewportSize({ width: 1440, height: 900 });
  mkdirSync(SHOTS, { recursive: true });
});

// biome-ignore lint/suspicious/noExplicitAny: answers are parsed with the contract where it matters.
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A conv net small enough to train in seconds: 6 feature maps of 26×26, pooled, then the classes. */
const TINY_CNN = {
  input: { shape: [1, 28, 28] },
  layers: [
    { kind: "conv2d", filters: 6, kernel: 3, activation: "relu" },
    { kind: "maxPool2d", size: 2 },
    { kind: "flatten" },
    { kind: "dense", units: 3 },
  ],
  classes: ["circle", "square", "triangle"],
};

/** Creates a server run of `model` (a template id or a spec) on the shapes (first 200 samples); waits until it has succeeded. */
async function trainedServerRun(model: string | object, epochs: number): Promise<string> {
  const created = await api("POST", "/api/runs", {
    ...(typeof model === "string" ? { template: model } : { spec: model }),
    dataset: "shapes",
    executor: "server",
    limit: 200,
    ifExists: "new",
    config: { epochs, batchSize: 32 },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id: string = created.body.id;
  // A loop, not expect.poll: this runs in a beforeAll too.
  const deadline = Date.now() + 240_000;
  for (let status = ""; status !== "succeeded"; ) {
    status = (await api("GET", `/api/runs/${id}`)).body.status;
    if (["failed", "aborted", "diverged"].includes(status) || Date.now() > deadline)
      throw new Error(`run ${id} is ${status}, not succeeded`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return id;
}

/** The Epochs section of the run page. */
const epochsRegion = (p: Page) => p.getByRole("region", { name: "Epochs" });

/** The accessible names of `locator`'s elements, in order. */
const names = (locator: Locator) => locator.evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));

/** What the section says of each followed image, and each confusion cell, as the page shows them. */
async function shown(p: Page): Promise<{ samples: string[]; confusion: string[] }> {
  const region = epochsRegion(p);
  return {
    samples: await names(region.getByRole("button", { name: /^Test image \d+/ })),
    confusion: await names(region.getByRole("table", { name: /^Confusion matrix/ }).getByRole("button")),
  };
}

/** The same, as the API's answer for one epoch says they should read. */
function expected(list: EpochCheckpointList, view: EpochPredictions): { samples: string[]; confusion: string[] } {
  const { classes } = list;
  return {
    samples: view.samples.map(
      (s) =>
        `Test image ${s.index}, a ${classes[s.label]}: predicted ${classes[s.predicted]}, ${Math.round(s.confidence * 100)}%`,
    ),
    confusion: view.confusion.flatMap((row, a) =>
      row.map((count, q) => `${count} images of ${classes[a]} predicted as ${classes[q]}`),
    ),
  };
}

/** Waits until the section shows epoch `epoch`'s predictions (the picked one, computed). */
async function showsEpoch(p: Page, epoch: number, of: number): Promise<void> {
  const region = epochsRegion(p);
  await expect.poll(() => region.locator("output").textContent(), { timeout: 20_000 }).toBe(`Epoch ${epoch} of ${of}`);
  await expect
    .poll(() => region.getByTestId("epoch-summary").textContent(), { timeout: 60_000 })
    .toMatch(new RegExp(`^Predictions at epoch ${epoch} · accuracy \\d+% · loss [\\d.]+ on all \\d+ test images$`));
}

describe("the epoch scrubber of a server run", () => {
  let id = "";
  let list: EpochCheckpointList;
  const byEpoch = new Map<number, { samples: string[]; confusion: string[] }>();

  beforeAll(async () => {
    id = await trainedServerRun("mlp", 3);
    list = EpochCheckpointList.parse((await api("GET", `/api/runs/${id}/epochs`)).body);
    for (const epoch of [1, 2, 3]) {
      const view = EpochPredictions.parse((await api("GET", `/api/runs/${id}/epochs/${epoch}`)).body);
      byEpoch.set(epoch, expected(list, view));
    }
  }, 300_000);

  it("shows the last epoch first, as the API answers it, with every epoch kept", { timeout: 90_000 }, async () => {
    expect(list.epochs).toEqual([1, 2, 3]);
    await page.goto(`${url}/#/run/${id}`);
    const region = epochsRegion(page);
    await region.scrollIntoViewIfNeeded({ timeout: 30_000 });
    await showsEpoch(page, 3, 3);
    expect(await region.getByText("All 3 epochs kept.", { exact: false }).count()).toBe(1);
    expect(await shown(page)).toEqual(byEpoch.get(3));
    // A dense network: the feature-map panel says why it has none.
    await expect
      .poll(() => region.getByText(/No layer of this model outputs an image/).count(), { timeout: 30_000 })
      .toBe(1);
    await region.getByRole("slider", { name: "Epoch" }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/1-server-mlp-epoch-3-1440.png` });
  });

  it("moves back to epoch 1 with the slider: other predictions and confusion, the API's", {
    timeout: 90_000,
  }, async () => {
    const region = epochsRegion(page);
    expect(byEpoch.get(1)).not.toEqual(byEpoch.get(3));
    await region.getByRole("slider", { name: "Epoch" }).focus();
    await page.keyboard.press("Home");
    await showsEpoch(page, 1, 3);
    expect(await shown(page)).toEqual(byEpoch.get(1));
    expect(new URL(page.url()).hash).toBe(`#/run/${id}?epoch=1`);
    await page.keyboard.press("ArrowRight");
    await showsEpoch(page, 2, 3);
    expect(await shown(page)).toEqual(byEpoch.get(2));
    await region.getByRole("button", { name: "Previous epoch" }).click();
    await showsEpoch(page, 1, 3);
    await page.screenshot({ path: `${SHOTS}/2-server-mlp-epoch-1-1440.png` });
  });

  it("keeps the picked epoch over a reload", { timeout: 90_000 }, async () => {
    await page.reload();
    await epochsRegion(page).scrollIntoViewIfNeeded({ timeout: 30_000 });
    await showsEpoch(page, 1, 3);
    expect(await shown(page)).toEqual(byEpoch.get(1));
  });

  it("plays from epoch 1 to the last and stops there", { timeout: 90_000 }, async () => {
    const region = epochsRegion(page);
    const play = region.getByRole("button", { name: "Play" });
    await play.click();
    await showsEpoch(page, 3, 3);
    await expect.poll(() => region.getByRole("button", { name: "Play" }).getAttribute("aria-pressed")).toBe("false");
    expect(await shown(page)).toEqual(byEpoch.get(3));
  });

  it("fits a phone's screen", { timeout: 90_000 }, async () => {
    const { page: phone } = await openPage(studio.browser, { width: 375, height: 740 });
    try {
      await phone.goto(`${url}/#/run/${id}?epoch=1`);
      const region = epochsRegion(phone);
      await region.scrollIntoViewIfNeeded({ timeout: 30_000 });
      await showsEpoch(phone, 1, 3);
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(375);
      await region.getByRole("slider", { name: "Epoch" }).scrollIntoViewIfNeeded();
      await phone.screenshot({ path: `${SHOTS}/3-server-mlp-epoch-1-375.png` });
    } finally {
      await phone.context().close();
    }
  });
});

describe("the epoch scrubber of a conv net", () => {
  it("shows each epoch's feature maps of the picked image", { timeout: 360_000 }, async () => {
    const id = await trainedServerRun(TINY_CNN, 2);
    await page.goto(`${url}/#/run/${id}`);
    const region = epochsRegion(page);
    await region.scrollIntoViewIfNeeded({ timeout: 30_000 });
    await showsEpoch(page, 2, 2);
    const maps = region.getByTestId("fmap");
    await expect.poll(() => maps.count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const pixelsOf = () =>
      maps
        .first()
        .evaluate((c: HTMLCanvasElement) => Array.from(c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data));
    await expect
      .poll(async () => (await pixelsOf()).some((v, i) => i % 4 !== 3 && v > 0), { timeout: 10_000 })
      .toBe(true);
    const atEpoch2 = await pixelsOf();
    // Another image: the caption names it.
    const third = region.getByRole("button", { name: /^Test image \d+/ }).nth(2);
    await third.click();
    await expect.poll(() => third.getAttribute("aria-pressed")).toBe("true");
    await region.getByRole("button", { name: "Previous epoch" }).click();
    await showsEpoch(page, 1, 2);
    await expect
      .poll(async () => JSON.stringify(await pixelsOf()) !== JSON.stringify(atEpoch2), { timeout: 30_000 })
      .toBe(true);
    await region.getByText(/^Feature maps of test image \d+ \(a \w+\) at epoch 1$/).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/4-server-cnn-feature-maps-1440.png` });
  });
});

describe("the epoch scrubber of a run kept in a browser without a server", () => {
  let preview: { url: string; close: () => Promise<void> };
  beforeAll(async () => {
    preview = await startPreview(studio.outDir);
  });
  afterAll(async () => {
    await preview?.close();
  });

  it("computes the epochs in the page, the last one agreeing with the run's test results", {
    timeout: 240_000,
  }, async () => {
    const { page: local } = await openPage(studio.browser, { width: 1440, height: 900 });
    try {
      const base = preview.url.replace(/\/$/, "");
      await local.goto(`${base}/#/build`);
      await local.getByRole("button", { name: "MLP", exact: true }).click();
      await local.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Data & train" }).click();
      await local.getByRole("radio", { name: /Synthetic shapes/ }).check();
      await local.getByLabel("Epochs", { exact: true }).fill("3");
      await local.getByLabel("Train on the first N samples only").fill("300");
      await local.getByRole("button", { name: /^Start/ }).click();
      await expect.poll(() => local.getByTestId("run-status").textContent(), { timeout: 150_000 }).toBe("done");
      // The stored run, opened from the Runs page as a person would.
      await local.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Runs", exact: true }).click();
      const row = local.getByRole("row").filter({ hasText: "succeeded" }).filter({ hasText: "%" });
      await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
      await row.getByRole("button", { name: "Open" }).click();
      const region = epochsRegion(local);
      await region.scrollIntoViewIfNeeded({ timeout: 30_000 });
      await showsEpoch(local, 3, 3);
      const last = await shown(local);
      // The test set is smaller than the bound: epoch 3's matrix is the run's own test confusion matrix.
      const results = await names(
        local
          .getByRole("table", { name: /^Confusion matrix/ })
          .first()
          .getByRole("button"),
      );
      expect(last.confusion).toEqual(results);
      await region.getByRole("slider", { name: "Epoch" }).focus();
      await local.keyboard.press("Home");
      await showsEpoch(local, 1, 3);
      const first = await shown(local);
      expect(first).not.toEqual(last);
      expect(first.samples).toHaveLength(last.samples.length);
      await local.screenshot({ path: `${SHOTS}/5-local-mlp-epoch-1-1440.png` });
      // Kept in this browser's store: a reload shows the same epoch again.
      await local.reload();
      await epochsRegion(local).scrollIntoViewIfNeeded({ timeout: 30_000 });
      await showsEpoch(local, 1, 3);
      expect(await shown(local)).toEqual(first);
    } finally {
      await local.context().close();
    }
  });
});
