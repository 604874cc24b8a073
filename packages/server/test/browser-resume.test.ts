import { emptyMetrics, encodeResumePoint } from "@layerlab/runner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, SMALL_RUN, startTestServer, type TestServer } from "./helpers";
import { browserRun, constantWeights, finishedEvents, putArtifact } from "./model-fixtures";

/*
 * A browser run's resume, as the server sees it: its page uploads a resume
 * point (optimizer.safetensors, checked like weights); a later page marks it
 * interrupted when the page that trained it is gone; Resume moves it back to
 * queued, and the browser's next start event (seqs continuing) to running.
 */

let server: TestServer;
let base: string;
beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
});
afterAll(async () => {
  await server?.close();
});

const [start, epoch] = finishedEvents(0.9);
const status = async (id: string) => (await api(base, "GET", `/api/runs/${id}`)).body.status as string;

describe("resuming a browser run on the server's side", () => {
  it("marks an orphaned browser run interrupted, resumes it to queued, and its next start makes it running", async () => {
    const { id } = await browserRun(base, { finish: false });
    expect((await api(base, "POST", `/api/runs/${id}/events`, { events: [start, epoch] })).status).toBe(202);
    expect(await status(id)).toBe("running");

    const interrupted = await api(base, "POST", `/api/runs/${id}/interrupt`);
    expect(interrupted.status).toBe(202);
    expect(interrupted.body.status).toBe("interrupted");
    const again = await api(base, "POST", `/api/runs/${id}/interrupt`);
    expect(again.status).toBe(409);
    expect(again.body.error).toContain("only a queued or running browser run");
    // Its page is gone: late events are refused.
    expect((await api(base, "POST", `/api/runs/${id}/events`, { events: [{ ...epoch, seq: 2 }] })).status).toBe(409);

    const resumed = await api(base, "POST", `/api/runs/${id}/resume`);
    expect(resumed.status).toBe(202);
    expect(resumed.body.status).toBe("queued");
    expect((await api(base, "POST", `/api/runs/${id}/resume`)).status).toBe(409);
    const restart = { ...start, seq: 2, time: 10, resumedFromEpoch: 1 };
    expect((await api(base, "POST", `/api/runs/${id}/events`, { events: [restart] })).status).toBe(202);
    expect(await status(id)).toBe("running");

    // Aborted in this session, it resumes again.
    const aborted = { seq: 3, time: 11, type: "aborted", epoch: 2, step: 3, reason: "aborted by the user" };
    expect((await api(base, "POST", `/api/runs/${id}/events`, { events: [aborted] })).status).toBe(202);
    expect(await status(id)).toBe("aborted");
    expect((await api(base, "POST", `/api/runs/${id}/resume`)).body.status).toBe("queued");
  });

  it("records the done event's seconds as the run's training time, over both sessions of a resumed run", async () => {
    const { id } = await browserRun(base, { finish: false });
    const aborted = { seq: 2, time: 50_000, type: "aborted", epoch: 1, step: 1, reason: "aborted by the user" };
    expect((await api(base, "POST", `/api/runs/${id}/events`, { events: [start, epoch, aborted] })).status).toBe(202);
    expect((await api(base, "POST", `/api/runs/${id}/resume`)).status).toBe(202);
    // The second session starts a day later; the run trained 7.5 s in all.
    const later = 86_400_000;
    const restart = { ...start, seq: 3, time: later, resumedFromEpoch: 1 };
    const done = {
      seq: 4,
      time: later + 4000,
      type: "done",
      epochs: 2,
      stoppedEarly: false,
      testLoss: 0.3,
      testAccuracy: 0.9,
      seconds: 7.5,
      artifacts: [],
    };
    expect((await api(base, "POST", `/api/runs/${id}/events`, { events: [restart, done] })).status).toBe(202);
    const run = (await api(base, "GET", `/api/runs/${id}`)).body;
    expect(run.status).toBe("succeeded");
    expect(run.trainSeconds).toBe(7.5);
    const listed = (await api(base, "GET", "/api/runs?limit=1000")).body.runs.find((r: { id: string }) => r.id === id);
    expect(listed.trainSeconds).toBe(7.5);
  });

  it("refuses to mark a server run interrupted", async () => {
    const created = await api(base, "POST", "/api/runs", { ...SMALL_RUN, ifExists: "new", config: { epochs: 1 } });
    const refused = await api(base, "POST", `/api/runs/${created.body.id}/interrupt`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toContain("the server marks its own runs interrupted");
    await api(base, "POST", `/api/runs/${created.body.id}/abort`);
  });

  it("stores a browser run's resume point byte for byte and refuses one that does not fit its model", async () => {
    const { id, spec } = await browserRun(base, { finish: false });
    const weights = constantWeights(spec, [0, 0, 0]);
    const state = { epochsDone: 1, bestMetric: null, bestEpoch: null, metrics: emptyMetrics() };
    const point = encodeResumePoint(weights, constantWeights(spec, [1, 2, 3]), state);

    const garbage = await putArtifact(base, id, "optimizer.safetensors", new Uint8Array([1, 2, 3, 4]));
    expect(garbage.status).toBe(400);
    expect(garbage.body.error).toContain("optimizer.safetensors");
    expect(garbage.body.error).toContain("upload the resume point");

    const plainWeights = await putArtifact(base, id, "optimizer.safetensors", weights);
    expect(plainWeights.status).toBe(400);
    expect(plainWeights.body.error).toContain("not a resume point");

    const otherModel = constantWeights(
      { ...(spec as object), layers: [{ kind: "flatten" }, { kind: "dense", units: 3 }] },
      [0, 0, 0],
    );
    const misfit = await putArtifact(
      base,
      id,
      "optimizer.safetensors",
      new Uint8Array(encodeResumePoint(otherModel, otherModel, state)),
    );
    expect(misfit.status).toBe(400);
    expect(misfit.body.error).toContain("do not fit the model");

    const badProgress = encodeResumePoint(weights, weights, { ...state, epochsDone: -1 });
    expect((await putArtifact(base, id, "optimizer.safetensors", new Uint8Array(badProgress))).status).toBe(400);

    const stored = await putArtifact(base, id, "optimizer.safetensors", new Uint8Array(point));
    expect(stored.status, JSON.stringify(stored.body)).toBe(201);
    const back = await fetch(`${base}/api/runs/${id}/artifacts/optimizer.safetensors`);
    expect(Buffer.compare(Buffer.from(await back.arrayBuffer()), Buffer.from(point))).toBe(0);
    const detail = await api(base, "GET", `/api/runs/${id}`);
    expect(detail.body.artifacts.map((a: { name: string }) => a.name)).toContain("optimizer.safetensors");
  });
});
