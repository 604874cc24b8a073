import { SweepView } from "@layerlab/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestServer, type TestServer } from "./helpers";

/*
 * GET /api/sweeps/:id/report: one self-contained HTML page of a sweep, answered as a download. A sweep
 * registered for a browser trains nothing here, so the page shows its waiting runs.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe("a sweep's report", () => {
  it("is one HTML page with the control statement, every run and the findings; no scripts, no requests", async () => {
    const plan = {
      axes: [
        { field: "learningRate", values: [0.0001, 0.01] },
        { field: "optimizer", values: ["sgd", "adam"] },
      ],
    };
    const created = await api(server.url, "POST", "/api/sweeps", {
      template: "mlp",
      dataset: "shapes",
      executor: "browser",
      name: "lr <b>× optimizer",
      config: { epochs: 1, seed: 4 },
      plan,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const view = SweepView.parse(created.body);

    const res = await fetch(`${server.url}/api/sweeps/${view.id}/report`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${view.id}-report.html"`);
    const html = await res.text();
    expect(html.startsWith("<!doctype html>")).toBe(true);
    // The name is text, never markup.
    expect(html).toContain("lr &#60;b&#62;× optimizer");
    expect(html).not.toContain("<b>× optimizer");
    expect(html).toContain("same initial weights (seed 4)");
    for (const value of ["1e-4", "0.01", "sgd", "adam"]) expect(html).toContain(`<td>${value}</td>`);
    expect(html.match(/<td>queued<\/td>/g)).toHaveLength(4);
    expect(html).toContain("No run has a score yet.");
    expect(html).toContain("4 of 4 runs have no result yet.");
    expect(html).not.toMatch(/<script|src="http|href="http/);

    expect((await fetch(`${server.url}/api/sweeps/sweep-nothing-here/report`)).status).toBe(404);
  });
});
