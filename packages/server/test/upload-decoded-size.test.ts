// An uploaded ZIP's images keep their own size and colour, and the upload's answer says what they were decoded to.
import { DatasetList, DatasetUploaded } from "@layerlab/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { solidImage, zipBuffer } from "../../data-node/test/fixtures";
import { api, startTestServer, type TestServer } from "./helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

async function upload(files: Record<string, Buffer>, name: string) {
  const form = new FormData();
  form.set("name", name);
  form.set("file", new Blob([new Uint8Array(await zipBuffer(files))]), `${name}.zip`);
  const res = await fetch(`${server.url}/api/datasets`, { method: "POST", body: form });
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(201);
  return DatasetUploaded.parse(body);
}

describe("POST /api/datasets: the decoded size", () => {
  it("keeps 32×32 colour images at 32×32 RGB and says so in the answer and the list", async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 3; i++) {
      files[`cat/${i}.png`] = await solidImage("png", 32, 32, [200, 40 + i, 40]);
      files[`dog/${i}.jpg`] = await solidImage("jpeg", 32, 32, [40, 40 + i, 200]);
    }
    const answer = await upload(files, "tiny-cifar");
    expect(answer.report.shape).toEqual([3, 32, 32]);
    expect(answer.report.decoded).toMatchObject({ width: 32, height: 32, channels: 3, sizeReason: "own-size" });
    expect(answer.report.decoded.summary).toBe("32×32 RGB (the images' own size)");
    const list = DatasetList.parse((await api(server.url, "GET", "/api/datasets")).body);
    const listed = list.imported.find((d) => d.id === answer.id);
    if (!listed) throw new Error(`dataset ${answer.id} is not listed`);
    expect(listed.shape).toEqual([3, 32, 32]);
    expect((listed.report as { decoded?: { summary?: string } }).decoded?.summary).toBe(
      "32×32 RGB (the images' own size)",
    );
  });

  it("keeps greyscale images greyscale", async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 3; i++) {
      files[`light/${i}.png`] = await solidImage("png", 16, 16, 220 - i);
      files[`dark/${i}.png`] = await solidImage("png", 16, 16, 20 + i);
    }
    const answer = await upload(files, "tiny-grey");
    expect(answer.report.shape).toEqual([1, 16, 16]);
    expect(answer.report.decoded.summary).toBe("16×16 greyscale (the images' own size)");
  });
});
