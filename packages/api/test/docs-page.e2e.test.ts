import { afterAll, beforeAll, expect, it } from "vitest";
import { launchTestChromium } from "../../../test-support/chromium";
import { startTestServer, type TestServer } from "../../server/test/helpers";
import { API_DOCS_PAGE } from "../src";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

it("renders the API's browsable page in Chromium under the app's cross-origin isolation", async () => {
  const browser = await launchTestChromium();
  try {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on("pageerror", (err) => failures.push(err.message));
    page.on("requestfailed", (req) => failures.push(`${req.url()}: ${req.failure()?.errorText}`));
    const res = await page.goto(`${server.url}${API_DOCS_PAGE}`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["cross-origin-opener-policy"]).toBe("same-origin");
    // Swagger UI draws one block per operation once it has read the document.
    await page.locator(".opblock").first().waitFor({ timeout: 15_000 });
    const paths = await page.locator(".opblock-summary-path").allTextContents();
    expect(paths.map((p) => p.replace(/\u200b/g, ""))).toEqual(
      expect.arrayContaining(["/api/runs", "/api/runs/{id}/events", "/api/runs/{id}/ws"]),
    );
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    expect(failures).toEqual([]);
  } finally {
    await browser.close();
  }
});
