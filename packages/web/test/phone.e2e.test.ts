import { mkdirSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paintedPixels, serveStudio } from "./harness";

/*
 * The studio on a phone, against the real LayerLab server: at 375×740 (touch,
 * mobile viewport) every page fits the screen's width, every page link is on
 * screen and a finger's height, and drawing on the canvas by touch gives a
 * prediction without scrolling the page. The same pages at 414 and 768 px fit
 * too. Every page leaves a screenshot at 375 and at 1440 px in SHOTS.
 */

const SHOTS = "/tmp/shots/phone";
const PHONE = { width: 375, height: 740 };
const OTHER_SCREENS = [
  { width: 414, height: 896 },
  { width: 768, height: 1024 },
];
const DESKTOP = { width: 1440, height: 900 };
/** The smallest height of a control a finger taps, in CSS pixels. */
const TOUCH_TARGET = 40;

const studio = serveStudio("phone", { server: true });
let context: BrowserContext;
let phone: Page;
const errors: string[] = [];
/** The two tiny server runs' ids: they train while the pages that need no run (build, train) are checked. */
let trained: Promise<string[]>;

/** Registers and trains a tiny server run on the generated shapes; resolves with its id once it succeeded. */
async function trainTinyServerRun(learningRate: number): Promise<string> {
  const res = await fetch(`${studio.url}/api/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      template: "mlp",
      dataset: "shapes",
      executor: "server",
      ifExists: "new",
      limit: 200,
      config: { epochs: 1, batchSize: 32, learningRate },
    }),
  });
  expect(res.ok, `POST /api/runs answered ${res.status}`).toBe(true);
  const { id } = (await res.json()) as { id: string };
  const deadline = Date.now() + 150_000;
  for (;;) {
    const { status } = (await (await fetch(`${studio.url}/api/runs/${id}`)).json()) as { status: string };
    if (status === "succeeded") return id;
    if (!["queued", "running"].includes(status)) throw new Error(`the tiny server run ${id} ended ${status}`);
    if (Date.now() > deadline) throw new Error(`the tiny server run ${id} is still ${status} after 150 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  trained = Promise.all([trainTinyServerRun(1e-3), trainTinyServerRun(2e-3)]);
  // Awaited, and a failure reported, by the first page that shows runs.
  trained.catch(() => {});
  context = await studio.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  phone = await context.newPage();
  phone.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  phone.on("pageerror", (e) => errors.push(String(e)));
}, 200_000);

afterAll(async () => {
  await context?.close();
});

/** The page's layout width and scroll width: equal to the screen's width when nothing pokes out sideways. */
function widths(p: Page): Promise<{ inner: number; scroll: number }> {
  return p.evaluate(() => ({ inner: window.innerWidth, scroll: document.scrollingElement!.scrollWidth }));
}

/** Asserts that the page does not scroll sideways at the viewport's width. */
async function expectNoSidewaysScroll(p: Page, width: number, what: string): Promise<void> {
  // A mobile browser widens its layout viewport to content wider than the screen, so innerWidth must stay put too.
  expect(await widths(p), `${what} at ${width} px scrolls sideways`).toEqual({ inner: width, scroll: width });
}

/** Asserts that every page link is on screen, inside the viewport and at least a finger's height. */
async function expectNavReachable(p: Page, what: string): Promise<void> {
  const links = p.getByRole("navigation", { name: "Pages" }).getByRole("link");
  const count = await links.count();
  expect(count, "page links").toBeGreaterThanOrEqual(5);
  for (let i = 0; i < count; i++) {
    const link = links.nth(i);
    const name = await link.textContent();
    expect(await link.isVisible(), `${what}: the ${name} link is visible`).toBe(true);
    const box = (await link.boundingBox())!;
    expect(box.x, `${what}: the ${name} link starts on screen`).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `${what}: the ${name} link ends on screen`).toBeLessThanOrEqual(PHONE.width);
    expect(box.height, `${what}: the ${name} link's height`).toBeGreaterThanOrEqual(TOUCH_TARGET);
  }
}

/** The visible buttons, selects and text fields of `main` shorter than a finger, as "text: height". */
function smallControls(p: Page): Promise<string[]> {
  return p.evaluate((min) => {
    const controls = document.querySelectorAll<HTMLElement>(
      "main button, main .button, main select, main input:not([type=checkbox], [type=radio], [type=range], [type=file])",
    );
    return Array.from(controls)
      .map((c) => ({ c, box: c.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && box.height < min - 0.5)
      .map(({ c, box }) => `${(c.textContent || c.getAttribute("aria-label") || c.id).trim()}: ${box.height}`);
  }, TOUCH_TARGET);
}

/** Opens `hash` in `p`: a fresh load the first time, after that the in-page navigation a link click makes. */
async function go(p: Page, hash: string): Promise<void> {
  if (p.url().startsWith(studio.url)) await p.evaluate((h) => (window.location.hash = h), hash);
  else await p.goto(`${studio.url}/${hash}`);
}

/** The pages to visit: a route and what shows once the page has its content. */
const PAGES: { name: string; open: (p: Page) => Promise<void> }[] = [
  {
    name: "build",
    open: async (p) => {
      await go(p, "#/build");
      await expect.poll(() => p.getByTestId("output-follows").textContent()).toContain("classes");
    },
  },
  {
    name: "train",
    open: async (p) => {
      await go(p, "#/train");
      await expect.poll(() => p.getByRole("radio", { name: /^\s*mnist \(/ }).count(), { timeout: 20_000 }).toBe(1);
    },
  },
  {
    name: "draw",
    open: async (p) => {
      await trained;
      await go(p, "#/draw");
      const classes = p.getByTestId("probabilities").first().locator("li");
      await expect.poll(() => classes.count(), { timeout: 20_000 }).toBe(3);
    },
  },
  {
    name: "runs",
    open: async (p) => {
      await trained;
      await go(p, "#/runs");
      await expect.poll(() => p.getByTestId("runs-range").first().textContent(), { timeout: 20_000 }).toBe("1–2 of 2");
    },
  },
  {
    name: "import",
    open: async (p) => {
      await go(p, "#/runs");
      await p.getByTestId("import-model").scrollIntoViewIfNeeded({ timeout: 20_000 });
    },
  },
  {
    name: "compare",
    open: async (p) => {
      await go(p, "#/runs");
      const boxes = p.getByRole("checkbox", { name: /^select / });
      await expect.poll(() => boxes.count(), { timeout: 20_000 }).toBe(2);
      await boxes.nth(0).check();
      await boxes.nth(1).check();
      await p.getByRole("button", { name: /^Compare selected/ }).click();
      await expect.poll(() => p.getByTestId("config-diff").count(), { timeout: 20_000 }).toBe(1);
    },
  },
  {
    name: "run",
    open: async (p) => {
      await go(p, `#/run/${(await trained)[0]}`);
      await expect.poll(() => p.getByTestId("test-accuracy").count(), { timeout: 20_000 }).toBe(1);
    },
  },
];

/**
 * Touches the canvas and drags one finger up its middle: a "1", by Chrome's
 * touch input. Upwards, so that a canvas that let the browser pan would scroll
 * the page down (and cancel the stroke) instead of drawing.
 */
async function drawOneByTouch(p: Page): Promise<void> {
  const box = (await p.getByTestId("draw-canvas").boundingBox())!;
  const cdp = await p.context().newCDPSession(p);
  const x = box.x + box.width / 2;
  const at = (f: number) => [{ x, y: box.y + box.height * f }];
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: at(0.8) });
  for (let step = 1; step <= 12; step++) {
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: at(0.8 - (0.6 * step) / 12) });
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

describe("the studio on a phone", () => {
  // The server runs may still be training when the first page that needs them comes up: the wait counts here.
  it("fits every page to 375, 414 and 768 px with every page link on screen", { timeout: 240_000 }, async () => {
    for (const { name, open } of PAGES) {
      await phone.setViewportSize(PHONE);
      await open(phone);
      await expectNoSidewaysScroll(phone, PHONE.width, name);
      await expectNavReachable(phone, name);
      expect(await smallControls(phone), `${name}: controls shorter than ${TOUCH_TARGET} px`).toEqual([]);
      await phone.screenshot({ path: `${SHOTS}/${name}-375.png` });
      for (const screen of OTHER_SCREENS) {
        await phone.setViewportSize(screen);
        await expectNoSidewaysScroll(phone, screen.width, name);
      }
    }
  });

  it("draws by touch without scrolling the page, and predicts the drawing", { timeout: 60_000 }, async () => {
    await phone.setViewportSize(PHONE);
    // Arriving from far down another page ("Test this model →" sits under the dashboard), the page opens at
    // its top, where the canvas is: a hash change alone would keep the old scroll.
    await PAGES.find((p) => p.name === "train")!.open(phone);
    await phone.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    expect(await phone.evaluate(() => window.scrollY)).toBeGreaterThan(500);
    await PAGES.find((p) => p.name === "draw")!.open(phone);
    expect(await phone.evaluate(() => window.scrollY)).toBe(0);
    const canvas = phone.getByTestId("draw-canvas");
    await canvas.scrollIntoViewIfNeeded();
    expect(await canvas.evaluate((c) => getComputedStyle(c).touchAction)).toBe("none");
    const scrolledBefore = await phone.evaluate(() => window.scrollY);
    await drawOneByTouch(phone);
    const prediction = phone.getByTestId("prediction").first();
    await expect.poll(() => prediction.count(), { timeout: 30_000 }).toBe(1);
    expect(["circle", "square", "triangle"]).toContain(await prediction.textContent());
    expect(await phone.evaluate(() => window.scrollY), "the page scrolled while drawing").toBe(scrolledBefore);
    // The whole stroke is inked (a pen 22 px wide along 60% of 280 px), not just where the finger landed.
    expect(await paintedPixels(canvas)).toBeGreaterThan(3000);
    await phone.screenshot({ path: `${SHOTS}/draw-touched-375.png`, fullPage: true });
  });

  it("keeps every page to the window at 1440×900", { timeout: 60_000 }, async () => {
    const desktop = await studio.browser.newContext({ viewport: DESKTOP });
    try {
      const page = await desktop.newPage();
      for (const { name, open } of PAGES) {
        await open(page);
        expect((await widths(page)).scroll, `${name} at 1440 px scrolls sideways`).toBe(DESKTOP.width);
        await page.screenshot({ path: `${SHOTS}/${name}-1440.png` });
      }
    } finally {
      await desktop.close();
    }
  });

  it("logs no console errors", () => {
    expect(errors).toEqual([]);
  });
});
