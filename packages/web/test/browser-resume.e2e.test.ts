import { mkdirSync } from "node:fs";
import { RunDetail } from "@layerlab/api";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { serveStudio } from "./harness";

/*
 * Resuming browser runs from the page, against the real LayerLab server: a
 * browser run keeps a resume point (weights, optimizer state, progress) on the
 * server at every epoch end; one aborted after its first epoch, and one whose
 * tab reloaded mid-run (which the next page records as interrupted), resume in
 * the tab from that point and end with the very weights an uninterrupted run
 * of the same configuration ends with, their events numbered on and their
 * time covering every session. Screenshots go to /tmp/shots/resume/.
 */

const SHOTS = "/tmp/shots/resume";
const VIEWPORT = { width: 1440, height: 900 };
const EPOCHS = 3;
const LIMIT = 400;
/** Small batches: many steps an epoch (180), so an abort or a reload lands inside the run, not after it. */
const BATCH = 2;
const studio = serveStudio("browser-resume", { server: true });
let page: Page;
let url: string;
beforeAll(async () => {
  ({ page, url } = studio);
  await page.setViewportSize(VIEWPORT);
  mkdirSync(SHOTS, { recursive: true });
});

interface RecordedEvent {
  type: string;
  seq: number;
  epoch?: number;
  seconds?: number;
  resumedFromEpoch?: number;
}

async function browserRunIds(): Promise<string[]> {
  const page = (await (await fetch(`${url}/api/runs?executor=browser&sort=createdAt&order=asc`)).json()) as {
    runs: { id: string }[];
  };
  return page.runs.map((r) => r.id);
}

async function apiRun(id: string): Promise<RunDetail> {
  return RunDetail.parse(await (await fetch(`${url}/api/runs/${id}`)).json());
}

async function weightsOf(id: string): Promise<Buffer> {
  const res = await fetch(`${url}/api/runs/${id}/artifacts/weights.safetensors`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

async function recordedEvents(id: string): Promise<RecordedEvent[]> {
  const text = await (await fetch(`${url}/api/runs/${id}/events?mode=history`)).text();
  return [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!)).filter((e) => typeof e.seq === "number");
}

const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png` });

/**
 * Starts the tiny configuration in this browser (a copy when the registry has a run of it already) and
 * returns its id; with `pastFirstEpoch`, only once the page shows it training after its first epoch.
 */
async function startBrowserRun(copy: boolean, opts: { pastFirstEpoch?: boolean } = {}): Promise<string> {
  const before = await browserRunIds();
  await page.goto(`${url}/#/train`);
  const server = page.getByRole("radio", { name: /Server/ });
  await expect.poll(() => server.isEnabled(), { timeout: 20_000 }).toBe(true);
  await page.getByRole("radio", { name: /This browser/ }).check();
  await page.fill("#cfg-epochs", String(EPOCHS));
  await page.fill("#cfg-batchSize", String(BATCH));
  await page.fill("#limit", String(LIMIT));
  await page.getByRole("button", { name: "Start training" }).click();
  if (copy) {
    const prompt = page.getByRole("dialog", { name: "This configuration has a run already" });
    await expect.poll(() => prompt.count(), { timeout: 20_000 }).toBe(1);
    await prompt.getByRole("button", { name: "Train a new copy" }).click();
  }
  // Watched from the click on, before the registry is asked: the run may be seconds from its end by then.
  if (opts.pastFirstEpoch) await waitPastFirstEpoch();
  await expect.poll(async () => (await browserRunIds()).length, { timeout: 20_000 }).toBe(before.length + 1);
  return (await browserRunIds()).find((id) => !before.includes(id))!;
}

/**
 * Waits until the page's dashboard shows the run still training, in an epoch after its first (so
 * epoch 1's resume point is being kept). Scoped to a running dashboard: the previous run's, done
 * at "Epoch 3 of 3", can still be on screen when this one starts.
 */
async function waitPastFirstEpoch(): Promise<void> {
  const training = page.locator("[data-testid=dashboard][data-status=running]");
  const laterEpoch = training.getByText(new RegExp(`Epoch [2-${EPOCHS}] of ${EPOCHS}`));
  await expect
    .poll(() => laterEpoch.count(), {
      timeout: 120_000,
      interval: 20,
      message: "no running dashboard showed a later epoch: did the run end before it could be interrupted?",
    })
    .toBeGreaterThan(0);
}

/** Waits until epoch 1's resume point is on the server. */
async function waitForResumePoint(id: string): Promise<void> {
  await expect
    .poll(async () => (await apiRun(id)).artifacts.map((a) => a.name), { timeout: 20_000, interval: 50 })
    .toContain("optimizer.safetensors");
}

/** Clicks Resume on run `id`'s page and waits for it to succeed. */
async function resumeOnRunPage(id: string, shotName: string): Promise<void> {
  const status = page.getByTestId("run-page-status");
  await page.getByRole("button", { name: "Resume" }).click();
  await expect.poll(() => status.textContent(), { timeout: 20_000 }).toMatch(/queued|running|succeeded/);
  // A look every quarter second: each costs the page and the runner CPU that the resumed training wants.
  await expect.poll(() => status.textContent(), { timeout: 180_000, interval: 250 }).toBe("succeeded");
  await expect.poll(() => page.getByTestId("test-accuracy").count(), { timeout: 30_000 }).toBe(1);
  await expect.poll(async () => (await apiRun(id)).status, { timeout: 30_000 }).toBe("succeeded");
  await shot(shotName);
}

/** The resumed run's events: numbered on without gaps or repeats, two sessions, every epoch once, the whole run's time. */
async function expectWholeRunHistory(id: string): Promise<void> {
  const events = await recordedEvents(id);
  const seqs = events.map((e) => e.seq);
  expect(seqs).toEqual(seqs.map((_, i) => i));
  const starts = events.filter((e) => e.type === "start");
  expect(starts).toHaveLength(2);
  expect(starts[1]!.resumedFromEpoch).toBeGreaterThanOrEqual(1);
  const epochs = events.filter((e) => e.type === "epoch");
  expect([...new Set(epochs.map((e) => e.epoch))]).toEqual([1, 2, 3]);
  const done = events.at(-1)!;
  expect(done.type).toBe("done");
  // Every epoch's time counts, those before the resume included — not only the resumed session's.
  const lastOfEach = new Map(epochs.map((e) => [e.epoch, e.seconds!]));
  const epochSeconds = [...lastOfEach.values()].reduce((sum, s) => sum + s, 0);
  expect(done.seconds!).toBeGreaterThanOrEqual(epochSeconds * 0.95);
  const resumedSessionEpochs = epochs.filter((e) => e.epoch! > starts[1]!.resumedFromEpoch!);
  expect(done.seconds!).toBeGreaterThan(resumedSessionEpochs.reduce((sum, e) => sum + e.seconds!, 0));
}

describe("resuming browser runs from the page", () => {
  let uninterrupted: Buffer;

  it("trains the configuration uninterrupted, keeping a resume point at every epoch end", {
    timeout: 240_000,
  }, async () => {
    const id = await startBrowserRun(false);
    await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 180_000 }).toBe("done");
    await expect.poll(async () => (await apiRun(id)).status, { timeout: 30_000 }).toBe("succeeded");
    const run = await apiRun(id);
    expect(run.artifacts.map((a) => a.name)).toContain("optimizer.safetensors");
    uninterrupted = await weightsOf(id);
    expect(uninterrupted.length).toBeGreaterThan(1000);
  });

  it("resumes a run aborted after its first epoch and ends with the uninterrupted run's weights", {
    timeout: 300_000,
  }, async () => {
    const id = await startBrowserRun(true, { pastFirstEpoch: true });
    await page.getByRole("button", { name: "Abort" }).click();
    await expect.poll(async () => (await apiRun(id)).status, { timeout: 30_000 }).toBe("aborted");
    // Uploaded before the abort was recorded.
    expect((await apiRun(id)).artifacts.map((a) => a.name)).toContain("optimizer.safetensors");
    expect((await apiRun(id)).epochsDone).toBeLessThan(EPOCHS);

    await page.goto(`${url}/#/runs`);
    const row = page.getByRole("row").filter({ hasText: "aborted" });
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    expect(await row.getByRole("button", { name: "Resume" }).count()).toBe(1);
    await shot("1-aborted-browser-run-in-runs");

    await page.goto(`${url}/#/run/${id}`);
    const status = page.getByTestId("run-page-status");
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe("aborted");
    await shot("2-aborted-run-page-with-resume");
    await resumeOnRunPage(id, "3-aborted-run-resumed-succeeded");

    expect(Buffer.compare(await weightsOf(id), uninterrupted)).toBe(0);
    await expectWholeRunHistory(id);
  });

  it("records a run whose tab reloaded mid-run as interrupted, and resumes it to the same weights", {
    timeout: 300_000,
  }, async () => {
    const id = await startBrowserRun(true, { pastFirstEpoch: true });
    await waitForResumePoint(id);
    expect((await apiRun(id)).status).toBe("running");
    await page.reload();
    await page.goto(`${url}/#/runs`);
    // The page that trained it is gone: the next page records it interrupted, never running.
    await expect.poll(async () => (await apiRun(id)).status, { timeout: 20_000 }).toBe("interrupted");
    const row = page.getByRole("row").filter({ hasText: "interrupted" });
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    expect(await row.getByRole("button", { name: "Resume" }).count()).toBe(1);
    await shot("4-interrupted-browser-run-in-runs");

    await page.goto(`${url}/#/run/${id}`);
    const status = page.getByTestId("run-page-status");
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe("interrupted");
    await shot("5-interrupted-run-page-with-resume");
    await resumeOnRunPage(id, "6-interrupted-run-resumed-succeeded");

    expect(Buffer.compare(await weightsOf(id), uninterrupted)).toBe(0);
    await expectWholeRunHistory(id);
  });
});
