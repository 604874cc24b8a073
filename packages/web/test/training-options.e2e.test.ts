import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { solidImage, zipBuffer } from "../../data-node/test/fixtures";
import { serveStudio } from "./harness";

/*
 * The training options do what they say, in the page against the real server: the step schedule's
 * milestones lower the learning rate the dashboard shows, early stopping ends a run and says why, picking
 * a template keeps the training settings and the sample limit, and a ZIP of 32×32 colour images is
 * decoded at 32×32 RGB and says so. Runs are tiny (64 synthetic shapes, in this browser).
 */

const SHOTS = "/tmp/shots/training-options";
const studio = serveStudio("training-options", { server: true });
let page: Page;
let url: string;
beforeAll(() => {
  ({ page, url } = studio);
  mkdirSync(SHOTS, { recursive: true });
});

const field = (label: string) => page.getByLabel(label, { exact: true });
const status = () => page.getByTestId("run-status").textContent();

/** Waits until the page has found the server (it asks once per visit of the train page). */
async function expectServerSeen(): Promise<void> {
  await expect
    .poll(() => page.locator('input[type=file][accept*="zip"]').count(), {
      timeout: 20_000,
      message: "the train page sees the LayerLab server (its upload control shows)",
    })
    .toBe(1);
}

/** Starts a run with the form as it is and waits until it is done. */
async function trainAndWait(): Promise<void> {
  await page.getByRole("button", { name: "Start training" }).click();
  await expect.poll(status, { timeout: 90_000 }).toBe("done");
}

describe("training options in the page", () => {
  it("lowers the learning rate after the step schedule's milestone epoch", { timeout: 120_000 }, async () => {
    await page.goto(`${url}/#/train`);
    await expect.poll(() => page.getByTestId("backend").textContent(), { timeout: 30_000 }).toMatch(/Wasm|WebGPU/);
    await expectServerSeen();
    // Fewer generated images: the results under the dashboard draw every test image.
    await field("Images per class").fill("30");
    await field("Epochs").fill("3");
    await field("Batch size").fill("16");
    await field("Train on the first N samples only").fill("64");
    // The schedule sits behind the disclosure that keeps Start in view; it stays open once something in it is set.
    await page.getByText("More training options").click();
    await field("LR schedule").selectOption("step");
    // Without milestones the step schedule would never change the rate: the form says so.
    const noMilestones = page.getByRole("status").filter({ hasText: "the step schedule has no milestones" });
    await expect.poll(() => noMilestones.count()).toBe(1);
    await field("Factor (gamma)").fill("0.5");
    // A milestone that does not read is refused with a message, and the config keeps its last good list.
    await field("Milestones (epochs)").fill("2, x");
    await expect
      .poll(() => page.getByRole("alert").filter({ hasText: "is not an epoch number" }).textContent())
      .toBe('"x" is not an epoch number: write whole numbers from 1 up, separated by commas, e.g. 2, 4');
    await page.locator(".config-form").screenshot({ path: `${SHOTS}/0-milestone-refused.png` });
    await field("Milestones (epochs)").fill("2");
    await expect.poll(() => page.getByRole("alert").filter({ hasText: "is not an epoch number" }).count()).toBe(0);
    expect(await noMilestones.count()).toBe(0);

    // Every learning rate the dashboard shows, in order (a run this small can pass a value between two polls).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { lrSeen: string[] }).lrSeen = seen;
      new MutationObserver(() => {
        const dd = Array.from(document.querySelectorAll(".dashboard .stats dt")).find((dt) => dt.textContent === "LR");
        const text = dd?.nextElementSibling?.textContent;
        if (text && text !== "–" && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await trainAndWait();
    // 1e-3 for epochs 1 and 2, then × 0.5 after the milestone (epoch 2).
    expect(await page.evaluate(() => (window as unknown as { lrSeen: string[] }).lrSeen)).toEqual([
      "1.00e-3",
      "5.00e-4",
    ]);
    await page.getByTestId("dashboard").screenshot({ path: `${SHOTS}/1-step-schedule.png` });
  });

  it("stops early with a tiny patience and says why", { timeout: 120_000 }, async () => {
    await field("Epochs").fill("6");
    await field("Stop early").check();
    await field("Patience (epochs)").fill("1");
    // No change of the validation loss is as large as 100: the second epoch already is no improvement.
    await field("Min delta").fill("100");
    await page.getByTestId("early-stopping").screenshot({ path: `${SHOTS}/2-early-stopping-form.png` });
    await trainAndWait();
    await expect
      .poll(() => page.getByTestId("stop-reason").textContent())
      .toBe(
        "Stopped early after epoch 2 of 6: validation loss did not improve by more than 100 for 1 epoch in a row (patience 1).",
      );
    await page.getByTestId("dashboard").screenshot({ path: `${SHOTS}/3-stopped-early.png` });
  });

  it("keeps epochs, batch size, optimizer and the sample limit when a template is picked", async () => {
    await page.click('nav a[href="#/build"]');
    await page.getByTestId("template-cnn").click();
    const note = page.getByTestId("template-note");
    await expect
      .poll(() => note.textContent())
      .toContain(
        "Training settings unchanged: 6 epochs · batch size 16 · adam · learning rate 0.001 · first 64 samples.",
      );
    await expect.poll(() => note.textContent()).toContain("Epochs 5 (yours: 6)");
    await page.screenshot({ path: `${SHOTS}/4-template-note.png` });
    await page.click('nav a[href="#/train"]');
    await expect.poll(() => field("Epochs").inputValue()).toBe("6");
    expect(await field("Batch size").inputValue()).toBe("16");
    expect(await field("Train on the first N samples only").inputValue()).toBe("64");
    expect(await field("LR schedule").inputValue()).toBe("step");
  });

  it("decodes an uploaded ZIP of 32×32 colour images at 32×32 RGB and says so", { timeout: 60_000 }, async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 3; i++) {
      files[`red/${i}.png`] = await solidImage("png", 32, 32, [220, 20 + i, 20]);
      files[`blue/${i}.png`] = await solidImage("png", 32, 32, [20, 20 + i, 220]);
    }
    await expectServerSeen();
    const upload = page.locator('input[type=file][accept*="zip"]');
    await upload.setInputFiles({
      name: "tiny-colour.zip",
      mimeType: "application/zip",
      buffer: await zipBuffer(files),
    });
    await expect
      .poll(() => page.getByTestId("import-decoded").textContent(), { timeout: 30_000 })
      .toBe("Images decoded to 32×32 RGB (the images' own size).");
    await expect.poll(() => page.getByRole("radio", { name: /tiny-colour .*32×32 RGB\)/ }).count()).toBe(1);
    await page.getByTestId("import-report").screenshot({ path: `${SHOTS}/5-import-report.png` });
  });
});
