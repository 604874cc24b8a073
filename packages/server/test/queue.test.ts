import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, readSse, SMALL_RUN, startTestServer, type TestServer, waitForStatus } from "./helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ MAX_CONCURRENT_JOBS: "1" });
});
afterAll(async () => {
  await server?.close();
});

describe("job queue", () => {
  it("shows queue positions, aborts a waiting job with a stored event, and runs the next one", async () => {
    const long = { ...SMALL_RUN, limit: 1000, config: { epochs: 40, batchSize: 16 } };
    const first = await api(server.url, "POST", "/api/runs", long);
    // In-process, a free thread takes the run at once; in PostgreSQL the server's thread claims it a moment later.
    expect([0, 1]).toContain(first.body.queuePosition);
    expect((await waitForStatus(server.url, first.body.id, ["running"])).queuePosition).toBe(0);
    const second = await api(server.url, "POST", "/api/runs", { ...long, ifExists: "new" });
    const third = await api(server.url, "POST", "/api/runs", { ...SMALL_RUN, ifExists: "new" });
    expect(second.body.queuePosition).toBe(1);
    expect(third.body.queuePosition).toBe(2);
    expect((await api(server.url, "GET", "/api/health")).body).toMatchObject({ running: 1, queued: 2 });

    expect((await api(server.url, "POST", `/api/runs/${second.body.id}/abort`)).status).toBe(202);
    const aborted = await waitForStatus(server.url, second.body.id, ["aborted"]);
    expect(aborted.queuePosition).toBeNull();
    const history = await readSse(`${server.url}/api/runs/${second.body.id}/events?mode=history`);
    expect(history.map((m) => [m.id, m.event])).toEqual([
      [0, "aborted"],
      [null, "end"],
    ]);
    expect((await api(server.url, "GET", `/api/runs/${third.body.id}`)).body.queuePosition).toBe(1);

    await api(server.url, "POST", `/api/runs/${first.body.id}/abort`);
    const done = await waitForStatus(server.url, third.body.id, ["succeeded", "failed"]);
    expect(done.status, done.error).toBe("succeeded");
    expect((await waitForStatus(server.url, first.body.id, ["aborted"])).status).toBe("aborted");
  });
});
