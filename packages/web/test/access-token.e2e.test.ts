import { mkdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openPage, serveStudio } from "./harness";

/*
 * A class's shared server with LAYERLAB_TOKEN: the studio asks for the token
 * once, keeps it in the browser, sends it with every API call (a header where
 * it can, ?access_token= on links and event streams), and a host's link with
 * ?access_token= opens the studio ready, without leaving the token in the address bar.
 */

const TOKEN = "class-of-thirty-token-0123456789";
const SHOTS_DIR = process.env.LAYERLAB_SHOTS_DIR ?? "/tmp/shots";
const studio = serveStudio("access-token", { server: true, serverEnv: () => ({ LAYERLAB_TOKEN: TOKEN }) });

/** Registers a browser run through the API (with the token), as a student's page would. */
async function registerRun(name: string): Promise<string> {
  const res = await fetch(`${studio.url}/api/runs`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ template: "mlp", dataset: "shapes", executor: "browser", name, ifExists: "new" }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe("the studio on a server that needs an access token", () => {
  it("asks for the token, refuses a wrong one, and works once it holds the right one", {
    timeout: 120_000,
  }, async () => {
    const { page } = studio;
    await registerRun("token run");
    await page.goto(`${studio.url}/#/runs`);
    const gate = page.getByRole("form", { name: "Access token" });
    await expect.poll(() => gate.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await gate.textContent()).toContain("needs an access token");
    mkdirSync(SHOTS_DIR, { recursive: true });
    await page.screenshot({ path: `${SHOTS_DIR}/token-gate.png` });

    await gate.getByLabel("Access token").fill("not-the-token-at-all");
    await gate.getByRole("button", { name: "Use this token" }).click();
    await expect.poll(() => gate.textContent(), { timeout: 10_000 }).toContain("not accepted");

    await gate.getByLabel("Access token").fill(TOKEN);
    await gate.getByRole("button", { name: "Use this token" }).click();
    // The page reloads with the token held: the gate is gone and the registry lists the run.
    await expect.poll(() => page.getByText("token run").count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.getByRole("form", { name: "Access token" }).count()).toBe(0);
  });

  it("opens ready from a shared link, takes the token out of the address, and opens a run with its event stream", {
    timeout: 120_000,
  }, async () => {
    const id = await registerRun("shared link run");
    // Another browser (a fresh profile) opens the host's link.
    const { page, errors } = await openPage(studio.browser);
    await page.goto(`${studio.url}/?access_token=${TOKEN}#/runs`);
    await expect.poll(() => page.getByText("shared link run").count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(page.url()).not.toContain("access_token");
    expect(await page.getByRole("form", { name: "Access token" }).count()).toBe(0);

    // The run's page reads the run and follows its event stream (EventSource: the token rides in the query).
    await page.goto(`${studio.url}/#/run/${id}`);
    await expect
      .poll(() => page.getByRole("heading", { name: "shared link run" }).count(), { timeout: 20_000 })
      .toBe(1);
    expect(await page.getByRole("form", { name: "Access token" }).count()).toBe(0);
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
  });
});
