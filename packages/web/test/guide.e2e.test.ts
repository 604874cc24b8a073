import { mkdirSync } from "node:fs";
import { OPTIMIZER_LEARNING_RATES } from "@layerlab/spec";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { TOUR_SEEN_KEY } from "../src/guide/tourSeen";
import { TOUR_STEPS } from "../src/guide/tourSteps";
import { serveStudio } from "./harness";

/*
 * The first-run tour and the glossary, in headless Chromium from a fresh
 * profile: the tour opens by itself once, steps beside the real controls at
 * 1440×900 and 375×740 without blocking the page, stays away after a reload,
 * comes back from "Tour"; the options' "?" open their glossary entries, and
 * the glossary's search filters. Each tour step leaves a screenshot in
 * /tmp/shots/guide/.
 */

const SHOTS = "/tmp/shots/guide";
const studio = serveStudio("guide", { tour: true });
let page: Page;
beforeAll(() => {
  page = studio.page;
  mkdirSync(SHOTS, { recursive: true });
});

/**
 * "ok" once the tour card has settled inside the window, below the top bar,
 * beside the ring around its control (not over it, at most 30 px away);
 * otherwise what is wrong.
 */
function cardPlacement(p: Page): Promise<string> {
  return p.evaluate(async () => {
    const read = () => {
      const card = document.querySelector('[role="dialog"]')?.getBoundingClientRect();
      const ring = document.querySelector(".tour-ring")?.getBoundingClientRect();
      return { card, ring };
    };
    const a = read();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const { card, ring } = read();
    if (!card || !a.card) return "no card";
    if (card.left !== a.card.left || card.top !== a.card.top) return "still moving";
    const header = document.querySelector(".topbar")!.getBoundingClientRect().bottom;
    if (card.left < 0 || card.right > innerWidth || card.bottom > innerHeight) return "card outside the window";
    if (card.top < header) return "card over the top bar";
    if (!ring) return "no control marked";
    if (ring.bottom < 0 || ring.top > innerHeight) return "control outside the window";
    const overlapX = Math.min(card.right, ring.right) - Math.max(card.left, ring.left);
    const overlapY = Math.min(card.bottom, ring.bottom) - Math.max(card.top, ring.top);
    if (overlapX > 0 && overlapY > 0) return "card covers its control";
    // A control in the sticky top bar has its card right below the bar.
    const gap = ring.bottom <= header ? card.top - header : Math.max(-overlapX, -overlapY);
    return gap <= 30 ? "ok" : `card ${Math.round(gap)} px from its control`;
  });
}

/** Walks the open tour from its first step to its last with Next, checking and screenshotting each step. */
async function walkTour(p: Page, width: number): Promise<void> {
  for (const [i, step] of TOUR_STEPS.entries()) {
    const dialog = p.getByRole("dialog", { name: step.title });
    await expect.poll(() => dialog.isVisible(), { message: `step ${i + 1}: "${step.title}"` }).toBe(true);
    expect(await dialog.getByTestId("tour-progress").textContent()).toBe(`Step ${i + 1} of ${TOUR_STEPS.length}`);
    // The studio's own address, "/", is the builder.
    await expect.poll(() => new URL(p.url()).hash || "#/build").toBe(`#/${step.route}`);
    await expect.poll(() => cardPlacement(p), { message: `step ${i + 1} at ${width} px` }).toBe("ok");
    await p.screenshot({ path: `${SHOTS}/${width}-step${i + 1}.png` });
    if (i < TOUR_STEPS.length - 1) await dialog.getByRole("button", { name: "Next" }).click();
  }
}

const seenFlag = (p: Page) => p.evaluate((key) => localStorage.getItem(key), TOUR_SEEN_KEY);

describe("first-run tour and glossary", () => {
  it("opens once on a first visit, walks the first path without blocking the page, and restarts from Tour", {
    timeout: 60_000,
  }, async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${studio.url}/`);
    const first = page.getByRole("dialog", { name: TOUR_STEPS[0]!.title });
    await expect.poll(() => first.isVisible(), { timeout: 10_000 }).toBe(true);
    // Focus moved into the card.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.closest('[role="dialog"]') !== null))
      .toBe(true);
    // Non-modal: the page under it still takes clicks while the tour is open.
    const layers = () => page.locator("ol.layers > li.layer-row").count();
    const before = await layers();
    await page.getByTestId("chip-dropout").click();
    await expect.poll(layers).toBe(before + 1);

    await walkTour(page, 1440);
    await page.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => page.getByRole("dialog").count()).toBe(0);
    expect(await seenFlag(page)).not.toBeNull();

    // Remembered: a reload does not bring it back.
    await page.goto(`${studio.url}/#/build`);
    await page.reload();
    await expect.poll(() => page.getByTestId("template-mlp").isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId("tour-start").isVisible()).toBe(true);
    expect(await page.getByRole("dialog").count()).toBe(0);

    // "Tour" restarts it; Escape closes it and gives focus back to "Tour".
    await page.getByRole("button", { name: "Tour", exact: true }).click();
    await expect.poll(() => first.isVisible()).toBe(true);
    await page.keyboard.press("Escape");
    await expect.poll(() => page.getByRole("dialog").count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Tour");

    // Going to another page yourself ends the tour.
    await page.getByRole("button", { name: "Tour", exact: true }).click();
    await expect.poll(() => first.isVisible()).toBe(true);
    await page.click('nav a[href="#/runs"]');
    await expect.poll(() => page.getByRole("dialog").count()).toBe(0);
  });

  it("fits every step beside its control at 375×740, and Skip ends it", { timeout: 60_000 }, async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.getByRole("button", { name: "Tour", exact: true }).click();
    await walkTour(page, 375);
    // Back returns a step; Skip closes from anywhere.
    await page.getByRole("button", { name: "Back" }).click();
    const previous = TOUR_STEPS.at(-2)!.title;
    await expect.poll(() => page.getByRole("dialog", { name: previous }).isVisible()).toBe(true);
    await page.getByRole("button", { name: "Skip tour" }).click();
    await expect.poll(() => page.getByRole("dialog").count()).toBe(0);
  });

  it("opens an option's glossary entry from its help link, and the glossary's search filters", {
    timeout: 60_000,
  }, async () => {
    // From the training option's "?" at 1440×900; by its address at 375×740.
    for (const width of [1440, 375]) {
      await page.setViewportSize(width === 375 ? { width: 375, height: 740 } : { width: 1440, height: 900 });
      if (width === 1440) {
        await page.goto(`${studio.url}/#/train`);
        await page.getByRole("link", { name: "Learning rate in the glossary" }).click();
      } else {
        await page.goto(`${studio.url}/#/glossary`);
        await page.goto(`${studio.url}/#/glossary/learning-rate`);
      }
      await expect.poll(() => new URL(page.url()).hash).toBe("#/glossary/learning-rate");
      const entry = page.locator("#glossary-learning-rate");
      await expect.poll(() => entry.evaluate((el) => el === document.activeElement)).toBe(true);
      const box = (await entry.boundingBox())!;
      const header = (await page.locator(".topbar").boundingBox())!;
      expect(box.y).toBeGreaterThanOrEqual(header.y + header.height);
      expect(box.y).toBeLessThan(width === 375 ? 740 : 900);
      // The usual rates are the doctor's, quoted.
      expect(await entry.textContent()).toContain(OPTIMIZER_LEARNING_RATES.sgd.usual);
      await page.screenshot({ path: `${SHOTS}/${width}-glossary-learning-rate.png` });
    }

    // A layer parameter's "?" too.
    await page.goto(`${studio.url}/#/build`);
    await page.getByRole("link", { name: "Bias in the glossary" }).first().click();
    await expect.poll(() => new URL(page.url()).hash).toBe("#/glossary/bias");
    await expect.poll(() => page.locator("#glossary-bias").evaluate((el) => el === document.activeElement)).toBe(true);

    // Search, from the nav's Glossary.
    await page.click('nav a[href="#/glossary"]');
    const search = page.getByLabel("Search the glossary");
    const headings = () => page.locator(".glossary-entry h3 a").allTextContents();
    const all = (await headings()).length;
    expect(all).toBeGreaterThan(30);
    await search.fill("stride");
    await expect.poll(headings).toContain("Stride");
    const filtered = await headings();
    expect(filtered.length).toBeLessThan(all);
    expect(filtered).not.toContain("Epoch");
    expect(await page.getByTestId("glossary-count").textContent()).toBe(`${filtered.length} of ${all} terms`);
    await page.screenshot({ path: `${SHOTS}/375-glossary-search.png` });
    await search.fill("no such term here");
    await expect.poll(headings).toEqual([]);
    expect(await page.getByText("No term matches").isVisible()).toBe(true);
  });

  it("logs no console errors", () => {
    expect(studio.errors).toEqual([]);
  });
});
