import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patchBytes, solidImage, zipBuffer } from "../../data-node/test/fixtures";
import { runServerExpectingExit, spawnServer } from "./child-server";
import { api, startTestServer, type TestServer } from "./helpers";

let server: TestServer;
let png: Buffer;
let png2: Buffer;
beforeAll(async () => {
  server = await startTestServer({ MAX_UPLOAD_MB: "2" });
  png = await solidImage("png", 28, 28, 50);
  png2 = await solidImage("png", 28, 28, 200);
});
afterAll(async () => {
  await server?.close();
});

/** Every file under DATA_DIR but the registry's own. */
function dataFiles(): string[] {
  return readdirSync(server.dataDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith("registry.sqlite"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

async function upload(zip: Buffer, name = "upload.zip") {
  const form = new FormData();
  form.set("file", new Blob([new Uint8Array(zip)]), name);
  const res = await fetch(`${server.url}/api/datasets`, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as { error?: string; id?: string } };
}

/** Uploads a ZIP that must be refused with 422 and an error matching `message`, leaving no file behind. */
async function expectRefused(zip: Buffer, message: RegExp) {
  const before = dataFiles();
  const res = await upload(zip);
  expect(res.status, JSON.stringify(res.body)).toBe(422);
  expect(res.body.error).toMatch(message);
  expect(dataFiles()).toEqual(before);
  expect((await api(server.url, "GET", "/api/datasets")).body.imported).toEqual([]);
}

describe("malicious ZIP uploads", () => {
  it("refuses path traversal with ../, naming the entry", async () => {
    const zip = await zipBuffer({ "a/1.png": png, "b/1.png": png2, "xx/evil.png": png });
    await expectRefused(patchBytes(zip, "xx/evil", "../evil"), /\.\.\/evil\.png/);
  });

  it("refuses an absolute path", async () => {
    const zip = await zipBuffer({ "a/1.png": png, "b/1.png": png2, "Xetc/pw.png": png });
    await expectRefused(patchBytes(zip, "Xetc/pw", "/etc/pw"), /absolute path/);
  });

  it("refuses a symbolic link entry", async () => {
    const zip = await zipBuffer({
      "a/1.png": png,
      "b/1.png": png2,
      "a/2.png": { data: "/etc/passwd", mode: 0o120777 },
    });
    await expectRefused(zip, /a\/2\.png" is a symbolic link/);
  });

  it("refuses a zip bomb whose entry inflates beyond the per-file limit", async () => {
    // 80 MB of zeros deflate to well under the 2 MB upload limit; the import limit is 64 MiB per file.
    const zip = await zipBuffer({ "a/1.png": png, "b/1.png": png2, "a/bomb.png": Buffer.alloc(80_000_000) });
    expect(zip.length).toBeLessThan(2 * 1024 * 1024);
    await expectRefused(zip, /bomb\.png.*maxFileBytes/);
  });

  it("refuses an archive of non-images renamed .png (sniffed by content: no class has an image)", async () => {
    const zip = await zipBuffer({ "a/1.png": "plain text, not a PNG", "b/1.png": "#!/bin/sh\nrm -rf /\n" });
    await expectRefused(zip, /found 0 classes/);
  });

  it("imports a valid archive, listing a renamed non-image as skipped", async () => {
    const zip = await zipBuffer({
      "a/1.png": png,
      "a/2.png": png,
      "a/fake.png": "plain text, not a PNG",
      "b/1.png": png2,
      "b/2.png": png2,
    });
    const res = await upload(zip);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const report = (res.body as { report: { skipped: { file: string; reason: string }[] } }).report;
    expect(report.skipped).toContainEqual({ file: "a/fake.png", reason: expect.stringMatching(/not an image/) });
    expect((await api(server.url, "DELETE", `/api/datasets/${res.body.id}`)).status).toBe(204);
  });
});

describe("token when bound beyond loopback (real process)", () => {
  it("refuses to start on HOST=0.0.0.0 without LAYERLAB_TOKEN, naming the variable", async () => {
    const exit = await runServerExpectingExit({ HOST: "0.0.0.0", DATA_DIR: join(server.dataDir, "refused") });
    expect(exit.code).toBe(1);
    expect(exit.output).toMatch(/configuration error: .*LAYERLAB_TOKEN must be set/);
  });

  it("on HOST=0.0.0.0 answers 401 without the token and 200 with it", async () => {
    const token = "child-process-token-0123456789";
    const child = await spawnServer({ HOST: "0.0.0.0", LAYERLAB_TOKEN: token, DATA_DIR: join(server.dataDir, "open") });
    try {
      const base = child.url.replace(/\/\/[^:/]+:/, "//127.0.0.1:");
      const denied = await api(base, "GET", "/api/runs");
      expect(denied.status).toBe(401);
      expect(denied.body.error).toContain("LAYERLAB_TOKEN");
      expect((await api(base, "GET", "/api/datasets", undefined, { authorization: "Bearer nope" })).status).toBe(401);
      expect((await api(base, "GET", "/api/runs", undefined, { authorization: `Bearer ${token}` })).status).toBe(200);
      expect((await api(base, "GET", `/api/runs?access_token=${token}`)).status).toBe(200);
      expect((await api(base, "GET", "/api/health")).status).toBe(200);
    } finally {
      await child.stop();
    }
  });
});
