import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestPredictions } from "@layerlab/api";
import { buildApp as buildServer, loadServerConfig } from "@layerlab/server";
import type { FastifyInstance } from "fastify";
import type { Browser, Locator, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { constantWeights, finishedEvents, putArtifact } from "../../server/test/model-fixtures";
import { decodeDatasetPayload } from "../src/data/payload";
import { buildApp, launchChromium, openPage, screenshotOnFailure, zipOf } from "./harness";

/*
 * The Compare page's "Where they disagree" against the real LayerLab server:
 * two browser runs registered with made-up answers on the shapes test split —
 * alpha's recorded in its test.json, beta's missing from its test.json (a run
 * from before per-image predictions) so that the server evaluates its saved
 * weights — compared from the Runs page, after a reload and after a server
 * restart; the images shown for a group and for a difference cell are exactly
 * the ones computed here from the answers. A run on another dataset gets the
 * words that say why it cannot be compared and what to do. Screenshots in
 * /tmp/shots/disagree/ at 1440×900 and 375×740.
 */

const SHOTS = "/tmp/shots/disagree";
const [CIRCLE, SQUARE, TRIANGLE] = [0, 1, 2];

let outDir = "";
let removeBuild = () => {};
let dataDir = "";
let server: FastifyInstance | null = null;
let url = "";
let browser: Browser;
let page: Page;
let errors: string[];

/** Starts the LayerLab server on `dataDir` (on `port`, or any free one). */
async function startServer(port = 0): Promise<void> {
  const config = loadServerConfig({ DATA_DIR: dataDir, PORT: "0", WEB_DIR: outDir });
  server = await buildServer({ config, logger: false });
  url = await server.listen({ host: "127.0.0.1", port });
}

/** Stops the server; connections a page left open are closed rather than waited for. */
async function stopServer(): Promise<void> {
  const app = server!;
  server = null;
  const sweep = setInterval(() => app.server.closeAllConnections(), 100);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}

beforeAll(async () => {
  ({ outDir, remove: removeBuild } = await buildApp());
  dataDir = mkdtempSync(join(tmpdir(), "layerlab-web-disagree-"));
  await startServer();
  browser = await launchChromium();
  ({ page, errors } = await openPage(browser, { width: 1440, height: 900 }));
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  if (server) await stopServer();
  rmSync(dataDir, { recursive: true, force: true });
  removeBuild();
});
afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail" && page) await screenshotOnFailure(page, `disagreement ${ctx.task.name}`);
});

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field, or parsed with the contract.
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** The test split of server dataset `id`, as the page downloads it. */
async function testSplit(id: string) {
  const res = await fetch(`${url}/api/datasets/${id}/data?split=test`);
  expect(res.status).toBe(200);
  return decodeDatasetPayload(await res.arrayBuffer(), id).test;
}

function confusionOf(labels: ArrayLike<number>, predictions: number[], classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (const [i, p] of predictions.entries()) m[labels[i]!]![p]!++;
  return m;
}

/**
 * Registers a finished browser run named `name` on `dataset` whose weights
 * answer `logits`' arg-max for every image, and whose test.json records
 * `predictions` — or, with `recorded: false`, leaves them out as runs before
 * per-image predictions did (the counts stay those of `predictions`).
 */
async function registerRun(
  name: string,
  dataset: string,
  labels: ArrayLike<number>,
  predictions: number[],
  opts: { logits: number[]; recorded: boolean; learningRate: number },
): Promise<string> {
  const created = await api("POST", "/api/runs", {
    name,
    template: "mlp",
    dataset,
    executor: "browser",
    ifExists: "new",
    config: { epochs: 1, learningRate: opts.learningRate },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { id, spec } = created.body as { id: string; spec: { classes: string[]; input: { shape: number[] } } };
  const classes = spec.classes;
  const confusion = confusionOf(labels, predictions, classes.length);
  const correct = confusion.reduce((s, row, i) => s + row[i]!, 0);
  const report = {
    loss: 0.5,
    accuracy: correct / predictions.length,
    count: predictions.length,
    classes,
    confusion,
    perClass: classes.map((c, k) => ({
      class: c,
      precision: 0,
      recall: 0,
      support: confusion[k]!.reduce((a, b) => a + b),
    })),
    ...(opts.recorded && { predictions }),
  };
  const channels = spec.input.shape[0]!;
  const normalization = JSON.stringify({ mean: new Array(channels).fill(0.5), std: new Array(channels).fill(0.25) });
  for (const [file, body] of [
    ["weights.safetensors", constantWeights(spec, opts.logits)],
    ["normalization.json", normalization],
    ["test.json", JSON.stringify(report)],
  ] as const) {
    expect((await putArtifact(url, id, file, body)).status, file).toBe(201);
  }
  const events = finishedEvents(report.accuracy);
  expect((await api("POST", `/api/runs/${id}/events`, { events })).status).toBe(202);
  return id;
}

/** A 16×16 greyscale PNG of a bright or a dark square, shifted by `k`. */
function squarePng(bright: boolean, k: number): Promise<Buffer> {
  const pixels = Buffer.alloc(16 * 16, bright ? 30 : 200);
  for (let y = 4; y < 10; y++) for (let x = 3 + (k % 5); x < 9 + (k % 5); x++) pixels[y * 16 + x] = bright ? 250 : 10;
  return sharp(pixels, { raw: { width: 16, height: 16, channels: 1 } })
    .png()
    .toBuffer();
}

/** Imports a small two-class dataset of another shape through the API; returns its id. */
async function importOtherDataset(): Promise<string> {
  const files: Record<string, Buffer> = {};
  for (let k = 0; k < 10; k++) files[`light/${k}.png`] = await squarePng(true, k);
  for (let k = 0; k < 10; k++) files[`dark/${k}.png`] = await squarePng(false, k);
  const form = new FormData();
  form.append("name", "squares");
  form.append("file", new Blob([new Uint8Array(zipOf(files))], { type: "application/zip" }), "squares.zip");
  const res = await fetch(`${url}/api/datasets`, { method: "POST", body: form });
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.id;
}

/** What the comparison must show, computed here from the answers alone. */
interface Expected {
  labels: Uint8Array;
  predsA: number[];
  predsB: number[];
}
let expected: Expected;
const ids: Record<"alpha" | "beta" | "gamma", string> = { alpha: "", beta: "", gamma: "" };
let otherDataset = "";

const section = (p: Page) => p.getByRole("region", { name: "Where they disagree" });

/** The test-image indices a gallery region shows (every one, after "Show all"). */
async function shownIndices(gallery: Locator): Promise<number[]> {
  const all = gallery.getByRole("button", { name: /^Show all \d+$/ });
  if ((await all.count()) > 0) await all.click();
  const labels = await gallery.getByRole("img").evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")));
  return labels.map((l) => Number(/^test image (\d+)$/.exec(l ?? "")?.[1] ?? Number.NaN));
}

/** Clicks the (alpha says circle, beta says triangle) group and checks its images, then the difference cell (square, circle). */
async function checkComparison(p: Page, shotName?: string): Promise<void> {
  const { labels, predsA, predsB } = expected;
  const inGroup = predsA.flatMap((a, i) => (a === CIRCLE && predsB[i] === TRIANGLE ? [i] : []));
  const disagreeing = predsA.filter((a, i) => a !== predsB[i]).length;
  const region = section(p);
  await expect.poll(() => region.getByTestId("disagree-summary").count(), { timeout: 60_000 }).toBe(1);
  expect(await region.getByTestId("disagree-summary").textContent()).toContain(
    `They disagree on ${disagreeing} of ${labels.length} test images`,
  );
  if (shotName) {
    // The section from its heading, the top bar's height below the top edge.
    await region.getByRole("heading", { name: "Where they disagree" }).evaluate((h) => {
      h.scrollIntoView({ block: "start" });
      window.scrollBy(0, -60);
    });
    await p.screenshot({ path: `${SHOTS}/${shotName}-section.png` });
  }
  expect(await region.getByRole("table", { name: /^Confusion matrix/ }).count()).toBe(2);
  // Groups largest first: (square, triangle) holds the squares alpha gets right, then (circle, triangle).
  const groupButtons = region.getByRole("table", { name: /^Disagreement groups/ }).getByRole("button");
  const squaresRight = predsA.filter((a, i) => a === SQUARE && predsB[i] === TRIANGLE).length;
  expect(await groupButtons.evaluateAll((bs) => bs.map((b) => b.getAttribute("aria-label")))).toEqual(
    [
      [`alpha says square, beta says triangle: ${squaresRight} images`, squaresRight],
      [`alpha says circle, beta says triangle: ${inGroup.length} images`, inGroup.length],
    ]
      .sort((x, y) => (y[1] as number) - (x[1] as number))
      .map((x) => x[0]),
  );

  await region.getByRole("button", { name: `alpha says circle, beta says triangle: ${inGroup.length} images` }).click();
  const gallery = region.getByRole("region", { name: "alpha says circle, beta says triangle" });
  await expect.poll(() => gallery.getByRole("img").count(), { timeout: 10_000 }).toBeGreaterThan(0);
  if (shotName) {
    await gallery.scrollIntoViewIfNeeded();
    await p.screenshot({ path: `${SHOTS}/${shotName}-group.png` });
  }
  expect(await shownIndices(gallery)).toEqual(inGroup);
  // Each thumbnail says the truth and both answers: a square alpha calls a circle says so.
  const altered = inGroup.find((i) => labels[i] === SQUARE)!;
  const figure = gallery
    .getByRole("listitem")
    .filter({ has: p.getByRole("img", { name: `test image ${altered}`, exact: true }) });
  expect(await figure.textContent()).toBe("is squareA circle (alpha, wrong)B triangle (beta, wrong)");

  // Difference cell (actual square, predicted circle): beta − alpha = −(the squares only alpha calls circles).
  const onlyA = predsA.flatMap((a, i) => (labels[i] === SQUARE && a === CIRCLE && predsB[i] !== CIRCLE ? [i] : []));
  const cell = region
    .getByRole("table", { name: /^Difference: / })
    .getByRole("button", { name: new RegExp(`^\u2212${onlyA.length}: square predicted as circle, alpha has`) });
  await cell.click();
  const onlyAlpha = region.getByRole("region", { name: "square predicted as circle by alpha only" });
  expect(await shownIndices(onlyAlpha)).toEqual(onlyA);
  const onlyBeta = region.getByRole("region", { name: "square predicted as circle by beta only" });
  expect(await onlyBeta.textContent()).toContain("No images.");
  if (shotName) {
    await region.getByRole("table", { name: /^Difference: / }).scrollIntoViewIfNeeded();
    await p.screenshot({ path: `${SHOTS}/${shotName}-difference.png` });
    await onlyAlpha.evaluate((g) => {
      g.scrollIntoView({ block: "start" });
      window.scrollBy(0, -60);
    });
    await p.screenshot({ path: `${SHOTS}/${shotName}-difference-images.png` });
  }
}

describe("where two runs disagree, on the Compare page", () => {
  it("registers two runs with known answers on the shapes test split and one on another dataset", {
    timeout: 60_000,
  }, async () => {
    const shapes = await testSplit("shapes");
    const labels = shapes.labels;
    // alpha is right except on every 5th square, which it calls a circle; beta says triangle to everything.
    const predsA = Array.from(labels, (l, i) => (l === SQUARE && i % 5 === 0 ? CIRCLE : l));
    const predsB = Array.from(labels, () => TRIANGLE);
    expected = { labels, predsA, predsB };
    ids.alpha = await registerRun("alpha", "shapes", labels, predsA, {
      logits: [1, 0, 0],
      recorded: true,
      learningRate: 0.001,
    });
    ids.beta = await registerRun("beta", "shapes", labels, predsB, {
      logits: [0, 1, 3],
      recorded: false,
      learningRate: 0.002,
    });
    otherDataset = await importOtherDataset();
    const other = await testSplit(otherDataset);
    ids.gamma = await registerRun(
      "gamma",
      otherDataset,
      other.labels,
      Array.from(other.labels, () => 0),
      {
        logits: [1, 0],
        recorded: true,
        learningRate: 0.003,
      },
    );
    expect(predsA.filter((a, i) => a === CIRCLE && labels[i] === SQUARE).length).toBeGreaterThan(5);
  });

  it("shows exactly the disagreeing images of a group and of a difference cell, reached from the Runs page", {
    timeout: 120_000,
  }, async () => {
    await page.goto(`${url}/#/runs`);
    for (const name of ["alpha", "beta"]) {
      const box = page.getByRole("checkbox", { name: `select ${name}` });
      await expect.poll(() => box.count(), { timeout: 20_000 }).toBe(1);
      await box.check();
    }
    await page.getByRole("button", { name: "Compare selected (2)" }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/compare?runs=${ids.alpha},${ids.beta}`);
    await checkComparison(page, "1-desktop");
    // beta's answers came from its weights, evaluated by the server, and are kept in its test.json now.
    const beta = TestPredictions.parse((await api("GET", `/api/runs/${ids.beta}/test-predictions`)).body);
    expect(beta.source).toBe("recorded");
    expect(beta.predictions).toEqual(expected.predsB);
  });

  it("shows the same comparison after a reload", { timeout: 120_000 }, async () => {
    await page.reload();
    await checkComparison(page);
  });

  it("shows the same comparison after the server restarts", { timeout: 120_000 }, async () => {
    const address = page.url();
    const port = Number(new URL(url).port);
    // The page goes with the server (whatever it polls or streams would meet a closed port); a new one comes back.
    expect(errors).toEqual([]);
    await page.context().close();
    await stopServer();
    await startServer(port);
    ({ page, errors } = await openPage(browser, { width: 1440, height: 900 }));
    await page.goto(address);
    await checkComparison(page);
  });

  it("fits a phone: 375×740", { timeout: 120_000 }, async () => {
    const phone = await openPage(browser, { width: 375, height: 740 });
    try {
      await phone.page.goto(`${url}/#/compare?runs=${ids.alpha},${ids.beta}`);
      await checkComparison(phone.page, "2-phone");
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.page.context().close();
    }
  });

  it("says why runs on different datasets cannot be compared, and what to do", { timeout: 60_000 }, async () => {
    await page.goto(`${url}/#/runs`);
    for (const name of ["alpha", "gamma"]) {
      const box = page.getByRole("checkbox", { name: `select ${name}` });
      await expect.poll(() => box.count(), { timeout: 20_000 }).toBe(1);
      await box.check();
    }
    await page.getByRole("button", { name: "Compare selected (2)" }).click();
    const problem = section(page).getByTestId("not-comparable");
    await expect.poll(() => problem.count(), { timeout: 30_000 }).toBe(1);
    const text = await problem.textContent();
    expect(text).toContain(
      `alpha was tested on shapes and gamma on ${otherDataset}: different test images, so there is nothing to line up.`,
    );
    expect(text).toContain("Fix: Pick two runs trained on the same dataset (the Runs page filters by dataset)");
    // Each run's own confusion matrix is still there; a difference of the two is not.
    expect(
      await section(page)
        .getByRole("table", { name: /^Confusion matrix/ })
        .count(),
    ).toBe(2);
    expect(
      await section(page)
        .getByRole("table", { name: /^Difference/ })
        .count(),
    ).toBe(0);
    await problem.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/3-not-comparable.png` });
    expect(errors).toEqual([]);
  });
});
