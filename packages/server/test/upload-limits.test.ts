import { existsSync, readdirSync } from "node:fs";
import { type ClientRequest, type IncomingMessage, request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimUncompressedSize, solidImage, zipBuffer } from "../../data-node/test/fixtures";
import { startTestServer, type TestServer } from "./helpers";

const IDLE_TIMEOUT_S = 1;
const BOUNDARY = "----layerlab-upload-test";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ MAX_UPLOAD_MB: "1", UPLOAD_IDLE_TIMEOUT_S: String(IDLE_TIMEOUT_S) });
});
afterAll(async () => {
  await server?.close();
});

/** Files in the server's folder of uploads in flight. */
function uploadsInFlight(): string[] {
  const dir = join(server.dataDir, "uploads");
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Polls `check` until it holds or `timeoutMs` passes. */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The multipart preamble of a `file` part, up to where the file's bytes begin. */
function filePartHead(fileName: string): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/zip\r\n\r\n`,
  );
}

/** A response, its body, and when the connection closed. */
interface Answer {
  res: IncomingMessage;
  body: { error?: string };
  closed: Promise<void>;
}

/**
 * Starts a POST /api/datasets that declares `contentLength` bytes, writes `first` and then sends nothing
 * more (the request is never ended); resolves with the server's answer.
 */
function partialUpload(contentLength: number, first: Buffer): { req: ClientRequest; answer: Promise<Answer> } {
  const url = new URL("/api/datasets", server.url);
  const req = request(url, {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "content-length": contentLength },
  });
  const closed = new Promise<void>((resolve) => req.once("close", () => resolve()));
  const answer = new Promise<Answer>((resolve, reject) => {
    req.once("error", reject);
    req.once("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.once("end", () => resolve({ res, body: JSON.parse(Buffer.concat(chunks).toString()), closed }));
    });
  });
  req.flushHeaders();
  req.write(first);
  return { req, answer };
}

describe("upload size", () => {
  it("refuses from Content-Length with 413 before the body is sent, and closes the connection", async () => {
    const declared = 10 * 1024 * 1024;
    const { req, answer } = partialUpload(declared, filePartHead("big.zip"));
    const { res, body, closed } = await answer;
    // Only the part's head was ever written: the answer came without the body.
    expect(req.writableEnded).toBe(false);
    expect(res.statusCode).toBe(413);
    expect(body.error).toMatch(/10 MB, over the server's limit of 1 MB \(MAX_UPLOAD_MB\)/);
    expect(res.headers.connection).toBe("close");
    await closed;
    expect(uploadsInFlight()).toEqual([]);
  });

  it("refuses a ZIP whose central directory claims a 3 GiB entry, even one the manifest layout leaves unread", async () => {
    const png = await solidImage("png", 28, 28, 50);
    const png2 = await solidImage("png", 28, 28, 200);
    const zip = await zipBuffer({
      "train/a.png": png,
      "train/b.png": png2,
      "train/huge.bin": "unlabelled",
      "test/a.png": png,
      "test/b.png": png2,
      "train.json": JSON.stringify({ "a.png": "x", "b.png": "y" }),
      "test.json": JSON.stringify({ "a.png": "x", "b.png": "y" }),
    });
    const form = new FormData();
    form.set("file", new Blob([new Uint8Array(claimUncompressedSize(zip, "train/huge.bin", 3 * 1024 ** 3))]), "m.zip");
    const res = await fetch(`${server.url}/api/datasets`, { method: "POST", body: form });
    const body = (await res.json()) as { error: string };
    expect(res.status, body.error).toBe(422);
    expect(body.error).toMatch(/^m\.zip: "train\/huge\.bin" is 3221225472 bytes.*maxFileBytes/);
    expect(uploadsInFlight()).toEqual([]);
  });
});

describe("stalled uploads", () => {
  it("answers 408 when the file stops arriving, closes the connection and removes the partial file", async () => {
    const started = Date.now();
    const { req, answer } = partialUpload(500_000, Buffer.concat([filePartHead("slow.zip"), Buffer.alloc(4096, 7)]));
    // The partial file exists while the upload is in flight: its removal below is the server's doing.
    await until(() => uploadsInFlight().length === 1, "the partial upload is on disk");
    const { res, body, closed } = await answer;
    expect(res.statusCode).toBe(408);
    expect(body.error).toMatch(/no data arrived for 1 s.*UPLOAD_IDLE_TIMEOUT_S/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_TIMEOUT_S * 1000 - 50);
    await closed;
    expect(req.destroyed).toBe(true);
    await until(() => uploadsInFlight().length === 0, "the partial upload is removed");
  });

  it("answers 408 when the body stalls before its file part begins", async () => {
    const { answer } = partialUpload(500_000, Buffer.from(`--${BOUNDARY}\r\n`));
    const { res, body, closed } = await answer;
    expect(res.statusCode).toBe(408);
    expect(body.error).toContain("UPLOAD_IDLE_TIMEOUT_S");
    await closed;
    await until(() => uploadsInFlight().length === 0, "no upload is left");
  });

  it("still accepts an upload that keeps arriving", async () => {
    const png = await solidImage("png", 28, 28, 50);
    const png2 = await solidImage("png", 28, 28, 200);
    const zip = await zipBuffer({ "a/1.png": png, "a/2.png": png, "b/1.png": png2, "b/2.png": png2 });
    const form = new FormData();
    form.set("file", new Blob([new Uint8Array(zip)]), "ok.zip");
    const res = await fetch(`${server.url}/api/datasets`, { method: "POST", body: form });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(uploadsInFlight()).toEqual([]);
  });
});
