import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { drawSquare, openPage, paintedPixels, serveStudio } from "./harness";

/*
 * The studio served by the real LayerLab server (packages/server) on a random
 * 127.0.0.1 port with its own data folder: train on the server's job queue,
 * watch the same live view, reload mid-run and reattach without losing events.
 */

const studio = serveStudio("server", { server: true });
let page: Page;
let url: string;
beforeAll(() => {
  ({ page, url } = studio);
});

/** Every event of run `id` the server has recorded, replayed from its history. */
async function recordedEvents(id: string): Promise<{ type: string; seq: number }[]> {
  const text = await (await fetch(`${url}/api/runs/${id}/events?mode=history`)).text();
  return [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!)).filter((e) => typeof e.seq === "number");
}

describe("studio against the LayerLab server", () => {
  it("trains on the server, reloads mid-run and reattaches without missing an event", {
    timeout: 300_000,
  }, async () => {
    await page.goto(`${url}/#/train`);
    const serverChoice = page.locator('input[name="where"]').nth(1);
    await expect.poll(() => serverChoice.isEnabled(), { timeout: 20_000 }).toBe(true);
    await serverChoice.check();
    // Thirty short epochs (600 samples each): still training when the page reloads, and done soon after.
    await page.fill("#cfg-epochs", "30");
    await page.fill("#limit", "600");
    await page.click("[data-testid=start]");
    const points = () => page.getAttribute("[data-testid=chart-batch-loss]", "data-points").then(Number);
    await expect.poll(points, { timeout: 120_000 }).toBeGreaterThan(0);
    const runId = (await page.evaluate(() => JSON.parse(sessionStorage.getItem("layerlab.attachedRun")!).id)) as string;
    const before = (await (await fetch(`${url}/api/runs/${runId}`)).json()) as { status: string };
    expect(before.status).toBe("running");

    await page.reload();
    // A look every quarter second: each costs the page and the runner CPU that the server's training wants.
    await expect
      .poll(() => page.textContent("[data-testid=run-status]"), { timeout: 240_000, interval: 250 })
      .toBe("done");
    const events = await recordedEvents(runId);
    const batches = events.filter((e) => e.type === "batch").length;
    expect(batches).toBeGreaterThan(1);
    // The reattached chart holds every batch event, none twice.
    expect(await points()).toBe(batches);
    await expect.poll(() => page.locator("[data-testid=test-accuracy]").count(), { timeout: 30_000 }).toBe(1);
    const done = (await (await fetch(`${url}/api/runs/${runId}`)).json()) as { metrics: { testAccuracy: number } };
    expect(await page.textContent("[data-testid=test-accuracy]")).toBe(
      `${(done.metrics.testAccuracy * 100).toFixed(2)}%`,
    );
    // The export links next to the artifacts answer (the server builds each on first request).
    for (const name of ["report.html", "model.onnx"]) {
      const href = await page.getAttribute(`[data-testid='export-${name}']`, "href");
      expect(href).toBe(`/api/runs/${runId}/artifacts/${name}`);
      const res = await fetch(new URL(href!, url));
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it("tests the server model by drawing", { timeout: 60_000 }, async () => {
    await page.click('nav a[href="#/draw"]');
    await drawSquare(page);
    const prediction = page.locator("[data-testid=prediction]").first();
    await expect.poll(() => prediction.count(), { timeout: 30_000 }).toBe(1);
    expect(["circle", "square", "triangle"]).toContain(await prediction.textContent());
    // The registry filter starts at the run just trained here (the MLP, 30 epochs, on the shapes), not at MNIST.
    const picker = page.getByRole("group", { name: "Model from the registry" });
    await expect.poll(() => picker.getByLabel("Dataset").inputValue(), { timeout: 20_000 }).toBe("shapes");
    expect(await picker.getByLabel("Epochs").inputValue()).toBe("30");
    expect(await picker.getByLabel("Hidden layers").inputValue()).toBe("128,64");
    expect(await picker.getByLabel("Type").inputValue()).toBe("mlp");
  });

  it("looks inside the server model through a copy loaded into the page, which predicts as the server does", {
    timeout: 120_000,
  }, async () => {
    // The drawing from the test above: the 3D view shows the server model's copy.
    const panel = page.locator("[data-testid=inside-panel]");
    await expect.poll(() => panel.count(), { timeout: 10_000 }).toBe(1);
    const view = page.locator("[data-testid=network-3d]");
    await expect.poll(() => view.getAttribute("data-frames").then(Number), { timeout: 60_000 }).toBeGreaterThan(0);
    const painted = await paintedPixels(view.locator("canvas"));
    expect(painted).toBeGreaterThan(500);
    const serverClass = page.locator("[data-testid=prediction]").first();
    const copyClass = page.locator("[data-testid=copy-prediction-class]");
    await expect.poll(() => copyClass.count(), { timeout: 30_000 }).toBe(1);
    expect(await copyClass.textContent()).toBe(await serverClass.textContent());

    // For the same input both compute the same numbers. The page and the server scale a drawing
    // differently, except a uniform one: upload a uniform grey image, ask the server for it directly.
    const image = await page.evaluate(() => {
      const c = document.createElement("canvas");
      c.width = 280;
      c.height = 280;
      const ctx = c.getContext("2d")!;
      ctx.fillStyle = "rgb(90, 90, 90)";
      ctx.fillRect(0, 0, 280, 280);
      return c.toDataURL("image/png");
    });
    const runs = (await (await fetch(`${url}/api/runs`)).json()) as { runs?: { id: string; status: string }[] };
    const runId = (runs.runs ?? (runs as unknown as { id: string; status: string }[])).find(
      (r) => r.status === "succeeded",
    )!.id;
    const res = await fetch(`${url}/api/runs/${runId}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image }),
    });
    expect(res.status).toBe(200);
    const server = (await res.json()) as { classes: string[]; probabilities: number[] };
    await page.setInputFiles(".draw-page input[type=file]", {
      name: "grey.png",
      mimeType: "image/png",
      buffer: Buffer.from(image.split(",")[1]!, "base64"),
    });
    const copyProbabilities = async () =>
      JSON.parse((await page.getAttribute("[data-testid=copy-prediction]", "data-probabilities")) ?? "[]") as number[];
    const largestGap = async () => {
      const local = await copyProbabilities();
      if (local.length !== server.probabilities.length) return Number.POSITIVE_INFINITY;
      return Math.max(...local.map((p, i) => Math.abs(p - server.probabilities[i]!)));
    };
    await expect.poll(largestGap, { timeout: 30_000 }).toBeLessThan(1e-4);
    const best = server.probabilities.indexOf(Math.max(...server.probabilities));
    expect(await copyClass.textContent()).toBe(server.classes[best]);
    // The page's own server prediction for the uploaded image says the same.
    await expect.poll(() => serverClass.textContent(), { timeout: 30_000 }).toBe(server.classes[best]);
  });

  it("looks inside a model picked from the registry in a page that never saw it train", {
    timeout: 120_000,
  }, async () => {
    const runs = (await (await fetch(`${url}/api/runs`)).json()) as { runs?: { id: string; status: string }[] };
    const runId = (runs.runs ?? (runs as unknown as { id: string; status: string }[])).find(
      (r) => r.status === "succeeded",
    )!.id;
    const fresh = await openPage(studio.browser);
    try {
      await fresh.page.goto(`${url}/#/draw`);
      const option = fresh.page.locator(`#by-name option[value="${runId}"]`);
      await expect.poll(() => option.count(), { timeout: 20_000 }).toBe(1);
      // Nothing trained in this page: the filter starts at the registry's newest finished run, and finds it.
      const picker = fresh.page.getByRole("group", { name: "Model from the registry" });
      await expect.poll(() => picker.getByLabel("Epochs").inputValue(), { timeout: 20_000 }).toBe("30");
      expect(await picker.getByLabel("Dataset").inputValue()).toBe("shapes");
      const lookup = fresh.page.waitForResponse(
        (r) => r.url().includes("/api/runs?") && r.url().includes("sort=testAccuracy"),
      );
      await picker.getByRole("button", { name: "Find model" }).click();
      const best = (await (await lookup).json()) as { runs: { id: string }[] };
      expect(best.runs.map((r) => r.id)).toEqual([runId]);
      await fresh.page.selectOption("#by-name", runId);
      await drawSquare(fresh.page);
      const view = fresh.page.locator("[data-testid=network-3d]");
      await expect.poll(() => view.getAttribute("data-frames").then(Number), { timeout: 60_000 }).toBeGreaterThan(0);
      const copyClass = fresh.page.locator("[data-testid=copy-prediction-class]");
      const serverClass = fresh.page.locator("[data-testid=prediction]").first();
      await expect.poll(() => copyClass.count(), { timeout: 30_000 }).toBe(1);
      await expect.poll(() => serverClass.count(), { timeout: 30_000 }).toBe(1);
      expect(await copyClass.textContent()).toBe(await serverClass.textContent());
      expect(fresh.errors).toEqual([]);
    } finally {
      await fresh.page.context().close();
    }
  });

  it("offers 'Train this configuration' when the registry has no such model, and opens the builder pre-filled", async () => {
    await page.selectOption("#q-ds", "shapes");
    await page.fill("#q-hidden", "99,33");
    await page.click("text=Find model");
    await page.click("text=Train this configuration");
    await expect.poll(() => new URL(page.url()).hash).toBe("#/build");
    expect(await page.inputValue("#layer-1-units")).toBe("99");
    expect(await page.textContent("[data-testid=spec-status]")).toContain("ready to train");
  });

  it("lists the server run in the runs table", async () => {
    await page.click('nav a[href="#/runs"]');
    const table = page.locator("[data-testid=runs-table]");
    await expect.poll(() => table.textContent(), { timeout: 20_000 }).toContain("succeeded");
  });
});
