import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { serveStudio } from "./harness";

/*
 * The architecture diagram and the training charts are readable, in headless
 * Chromium against the production build: the Deep CNN's 20 blocks wrap into
 * rows of text at ≥ 11 px that overlap nothing and stay inside the panel at
 * 1440×900 and at 375 px; the MLP shows neurons; a Blocks/Neurons switch
 * works; and after a run with a far too high learning rate every chart's tick
 * labels are distinct, unclipped and in a colour of AA contrast. Screenshots
 * go to /tmp/shots/diagram-charts/.
 */

const SHOTS = "/tmp/shots/diagram-charts";
const studio = serveStudio("diagram-charts");
let page: Page;
beforeAll(() => {
  ({ page } = studio);
  mkdirSync(SHOTS, { recursive: true });
});

/** What the page measured of the diagram's text and cards. */
interface DiagramMeasure {
  smallestFontPx: number;
  smallestTextHeight: number;
  labels: number;
  overlaps: string[];
  textOutsideCard: string[];
  outsidePanel: string[];
  emptyBelowPx: number;
}

/** Measures every label of the diagram: font sizes, rendered heights, overlaps and containment. */
function measureDiagram(p: Page): Promise<DiagramMeasure> {
  return p.evaluate(() => {
    const panel = document.querySelector(".diagram-panel")!.getBoundingClientRect();
    const figure = document.querySelector("figure.diagram")!.getBoundingClientRect();
    const texts = Array.from(document.querySelectorAll<SVGTextElement>("figure.diagram svg text:not(.ellipsis)"));
    const groups = Array.from(document.querySelectorAll<SVGGElement>("figure.diagram svg g[role=button]"));
    const boxes = groups.map((g) => ({
      name: g.getAttribute("aria-label")!.split(":")[0]!,
      r: g.getBoundingClientRect(),
    }));
    const hit = (a: DOMRect, b: DOMRect) =>
      a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
    const inside = (a: DOMRect, b: DOMRect) =>
      a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
    const overlaps: string[] = [];
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++)
        if (hit(boxes[i]!.r, boxes[j]!.r)) overlaps.push(`${boxes[i]!.name} / ${boxes[j]!.name}`);
    // Neuron columns are tall groups side by side; their labels are what must not collide.
    const labelRects = texts.map((t) => ({ name: t.textContent ?? "", r: t.getBoundingClientRect() }));
    for (let i = 0; i < labelRects.length; i++)
      for (let j = i + 1; j < labelRects.length; j++)
        if (hit(labelRects[i]!.r, labelRects[j]!.r))
          overlaps.push(`"${labelRects[i]!.name}" / "${labelRects[j]!.name}"`);
    const textOutsideCard = texts
      .filter((t) => {
        const card = t.parentElement?.querySelector("rect.card");
        return card && !inside(t.getBoundingClientRect(), card.getBoundingClientRect());
      })
      .map((t) => t.textContent ?? "");
    return {
      smallestFontPx: Math.min(...texts.map((t) => Number.parseFloat(getComputedStyle(t).fontSize))),
      smallestTextHeight: Math.min(...texts.map((t) => t.getBoundingClientRect().height)),
      labels: texts.length,
      overlaps: [...new Set(overlaps)],
      textOutsideCard,
      outsidePanel: labelRects.filter((l) => !inside(l.r, panel)).map((l) => l.name),
      emptyBelowPx: panel.bottom - figure.bottom,
    };
  });
}

/** Asserts the diagram's labels are readable: ≥ 11 px, none overlapping, each inside its card and the panel. */
async function expectReadable(p: Page, minLabels: number): Promise<void> {
  const m = await measureDiagram(p);
  expect(m.labels).toBeGreaterThanOrEqual(minLabels);
  expect(m.smallestFontPx).toBeGreaterThanOrEqual(11);
  expect(m.smallestTextHeight).toBeGreaterThanOrEqual(11);
  expect(m.overlaps).toEqual([]);
  expect(m.textOutsideCard).toEqual([]);
  expect(m.outsidePanel).toEqual([]);
  // The panel ends with its diagram (its padding only), not at the height of the layer list beside it.
  expect(m.emptyBelowPx).toBeLessThan(30);
}

/** Per chart: its tick labels, the WCAG contrast of its darkest y-axis pixel against the panel, and ink at its left edge. */
function measureCharts(p: Page) {
  return p.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>(".chart")).map((chart) => {
      const canvas = chart.querySelector("canvas")!;
      const over = chart.querySelector<HTMLElement>(".u-over")!;
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      const axisWidth = Math.floor(over.offsetLeft * ratio);
      const ctx = canvas.getContext("2d")!;
      const pixels = ctx.getImageData(0, 0, axisWidth, canvas.height).data;
      const luminance = (r: number, g: number, b: number) => {
        const lin = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
      };
      const panel = chart.closest(".panel") ?? document.body;
      const [br, bg, bb] = getComputedStyle(panel).backgroundColor.match(/\d+/g)!.map(Number) as [
        number,
        number,
        number,
      ];
      const background = luminance(br, bg, bb);
      // The text colour is the axis strip's most contrasting opaque pixel (anti-aliased edges are lighter).
      let best = 1;
      let inkAtEdge = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3]! < 250) continue;
        const l = luminance(pixels[i]!, pixels[i + 1]!, pixels[i + 2]!);
        const contrast = (Math.max(l, background) + 0.05) / (Math.min(l, background) + 0.05);
        best = Math.max(best, contrast);
        if ((i / 4) % axisWidth < 2 * ratio && contrast > 1.5) inkAtEdge++;
      }
      return {
        name: chart.dataset.testid ?? chart.querySelector(".u-title")?.textContent ?? "",
        x: (chart.dataset.xTicks ?? "").split("|").filter(Boolean),
        y: (chart.dataset.yTicks ?? "").split("|").filter(Boolean),
        contrast: best,
        inkAtEdge,
        plotHeight: over.offsetHeight,
      };
    }),
  );
}

describe("the diagram and the charts are readable", () => {
  it("wraps the Deep CNN, draws the MLP as neurons, and charts a diverging run legibly", {
    timeout: 200_000,
  }, async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${studio.url}/#/build`);
    const diagram = page.getByTestId("diagram");
    const blocksRadio = diagram.getByRole("radio", { name: "Blocks" });
    const neuronsRadio = diagram.getByRole("radio", { name: "Neurons" });

    // Deep CNN: 19 layers and the input, as blocks in rows.
    await page.getByRole("button", { name: "Deep CNN", exact: true }).click();
    await expect.poll(() => diagram.getByRole("img", { name: /^Network diagram, 20 blocks/ }).count()).toBe(1);
    await expect.poll(() => blocksRadio.isChecked()).toBe(true);
    const input = diagram.getByRole("button", { name: /^input, output \[\d+,\d+,\d+\]/ });
    expect(await input.count()).toBe(1);
    expect(await input.getByText("input", { exact: true }).isVisible()).toBe(true);
    expect(await diagram.getByText("dense #17", { exact: true }).isVisible()).toBe(true);
    expect(Number(await diagram.locator("svg").getAttribute("data-rows"))).toBeGreaterThan(1);
    await expectReadable(page, 40);
    await page.screenshot({ path: `${SHOTS}/deep-cnn-1440.png` });

    // Asking a conv net for neurons keeps its blocks and says why.
    await neuronsRadio.check();
    await expect.poll(() => diagram.getByRole("status").textContent()).toMatch(/dense layers only.*convolution/);
    expect(await diagram.getAttribute("data-view")).toBe("blocks");
    await blocksRadio.check();
    await expect.poll(() => diagram.getByRole("status").count()).toBe(0);

    // The MLP as neurons (input plus its three dense layers), and as blocks.
    await page.getByRole("button", { name: "MLP", exact: true }).click();
    await neuronsRadio.check();
    await expect.poll(() => diagram.getAttribute("data-view")).toBe("neurons");
    expect(await diagram.getByTestId("diagram-column").count()).toBe(4);
    expect(await diagram.getByText("dense #2", { exact: true }).isVisible()).toBe(true);
    expect(await diagram.locator("circle").count()).toBeGreaterThan(20);
    await expectReadable(page, 8);
    await page.screenshot({ path: `${SHOTS}/mlp-neurons-1440.png` });
    await blocksRadio.check();
    await expect.poll(() => diagram.getAttribute("data-view")).toBe("blocks");
    expect(await diagram.getByTestId("diagram-block").count()).toBe(5);
    await neuronsRadio.check();

    // A phone: the MLP's neurons and the Deep CNN's blocks still fit, at the same text size.
    await page.setViewportSize({ width: 375, height: 740 });
    await expect.poll(() => diagram.getAttribute("data-view")).toBe("neurons");
    await expectReadable(page, 8);
    await page.locator(".diagram-panel").screenshot({ path: `${SHOTS}/mlp-neurons-375.png` });
    await page.getByRole("button", { name: "Deep CNN", exact: true }).click();
    await expect.poll(() => diagram.getByRole("img", { name: /^Network diagram, 20 blocks/ }).count()).toBe(1);
    await expectReadable(page, 40);
    await page.locator(".diagram-panel").screenshot({ path: `${SHOTS}/deep-cnn-375.png` });

    // A tiny MLP run with a far too high learning rate: losses and gradients span decades.
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByRole("button", { name: "MLP", exact: true }).click();
    await page.click('nav a[href="#/train"]');
    await page.fill("#cfg-learningRate", "5");
    await page.fill("#cfg-epochs", "1");
    await page.fill("#limit", "600");
    await page.click("[data-testid=start]");
    await expect
      .poll(() => page.textContent("[data-testid=run-status]"), { timeout: 150_000 })
      .toMatch(/done|diverged/);
    await expect.poll(() => page.getByTestId("chart-grad-norm").getAttribute("data-y-ticks")).toBeTruthy();

    const charts = await measureCharts(page);
    expect(charts.map((c) => c.name)).toEqual(expect.arrayContaining(["chart-batch-loss", "chart-grad-norm"]));
    for (const c of charts) {
      const what = `${c.name}: x ${c.x.join(" ")}; y ${c.y.join(" ")}`;
      expect(c.y.length, what).toBeGreaterThanOrEqual(2);
      expect(new Set(c.y).size, what).toBe(c.y.length);
      expect(new Set(c.x).size, what).toBe(c.x.length);
      expect(c.contrast, what).toBeGreaterThanOrEqual(4.5);
      expect(c.inkAtEdge, `${what}: ink at the canvas's left edge (a clipped label)`).toBe(0);
      // 12 px labels need about 16 px each: more y labels than that would run into each other.
      expect(c.y.length, what).toBeLessThanOrEqual(Math.floor(c.plotHeight / 16) + 1);
    }
    await page.getByTestId("gradient-flow").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/gradient-flow-1440.png` });
    await page.getByTestId("chart-batch-loss").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/charts-1440.png` });

    // The dark theme redraws the axes in its own text colour, still AA against its panels.
    await page.getByRole("button", { name: "Switch to dark theme" }).click();
    await expect
      .poll(async () => Math.min(...(await measureCharts(page)).map((c) => c.contrast)), { timeout: 5_000 })
      .toBeGreaterThanOrEqual(4.5);
    await page.getByTestId("gradient-flow").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/gradient-flow-dark-1440.png` });

    await page.setViewportSize({ width: 375, height: 740 });
    await page.getByTestId("chart-grad-norm").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/gradient-flow-dark-375.png` });
    await page.click('nav a[href="#/build"]');
    await page.locator(".diagram-panel").screenshot({ path: `${SHOTS}/mlp-neurons-dark-375.png` });
    await page.getByRole("button", { name: "Switch to light theme" }).click();
  });
});
