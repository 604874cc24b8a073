import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestServer, type TestServer } from "./helpers";

// A mirror that does not have the archive: the download fails the way it does offline, without a network.
let mirror: Server;
let server: TestServer;
beforeAll(async () => {
  mirror = createServer((_req, res) => res.writeHead(404).end("not here"));
  await new Promise<void>((resolve) => mirror.listen(0, "127.0.0.1", resolve));
  const { port } = mirror.address() as AddressInfo;
  server = await startTestServer({ CIFAR10_URL: `http://127.0.0.1:${port}/cifar-10-binary.tar.gz` });
});
afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => mirror?.close(resolve));
});

describe("a built-in dataset the server cannot download", () => {
  it("answers 503 with the manual-install steps: the folder under DATA_DIR and the file names", async () => {
    const res = await api(server.url, "GET", "/api/datasets/cifar10/data");
    expect(res.status).toBe(503);
    const message: string = res.body.error;
    expect(message).toContain("Cannot download CIFAR-10");
    expect(message).toContain("HTTP 404");
    expect(message).toContain(join(server.dataDir, "cifar10", "cifar-10-binary.tar.gz"));
    expect(message).toContain(join(server.dataDir, "cifar10", "cifar-10-batches-bin", "data_batch_1.bin"));
    expect(message).toContain("test_batch.bin");
  });

  it("keeps answering afterwards: the failure is the data's, not the server's", async () => {
    const again = await api(server.url, "GET", "/api/datasets/cifar10/data?split=test");
    expect(again.status).toBe(503);
    expect((await api(server.url, "GET", "/api/datasets")).status).toBe(200);
  });
});
