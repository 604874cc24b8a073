import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TrainEvent } from "@layerlab/spec";
import { afterAll, describe, expect, it } from "vitest";
import { EventLog, isDiskFull, readRunEvents, writeRunFile } from "../src";

/* A real 64 KiB file system (tmpfs) filled to the last page; mounting needs root, elsewhere the suite is skipped. */
const mountPoint = mkdtempSync(join(tmpdir(), "layerlab-runner-full-"));
const mountProblem = (() => {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint], { stdio: "pipe" });
    return null;
  } catch (err) {
    return `cannot mount a small tmpfs here (${(err as Error).message.split("\n")[0]})`;
  }
})();
afterAll(() => {
  if (mountProblem === null) execFileSync("umount", [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

/** Writes zeros to `path` until the disk refuses another 4 KiB page. */
function fillUp(path: string): void {
  const fd = openSync(path, "a");
  const page = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, page);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}

describe("isDiskFull", () => {
  it("knows ENOSPC, EDQUOT and SQLITE_FULL, also as a cause, and nothing else", () => {
    expect(isDiskFull(Object.assign(new Error("x"), { code: "ENOSPC" }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error("x"), { code: "EDQUOT" }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error("x"), { code: "SQLITE_FULL" }))).toBe(true);
    expect(isDiskFull(new Error("wrapped", { cause: Object.assign(new Error("x"), { code: "ENOSPC" }) }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error("x"), { code: "EACCES" }))).toBe(false);
    expect(isDiskFull(null)).toBe(false);
  });
});

describe.skipIf(mountProblem !== null)(`a full disk${mountProblem ? ` (skipped: ${mountProblem})` : ""}`, () => {
  it("keeps events.jsonl whole lines and a checkpoint file whole when a write finds no space", async () => {
    const dir = join(mountPoint, "run");
    execFileSync("mkdir", [dir]);
    await writeRunFile(dir, "weights.safetensors", new Uint8Array(8192).fill(7));
    const log = await EventLog.open(dir);
    const first: TrainEvent = { seq: 0, time: 1, type: "error", message: "first" };
    await log.append(first);
    writeFileSync(join(mountPoint, "spare"), Buffer.alloc(8192));
    fillUp(join(mountPoint, "filler"));

    // A line longer than the rest of the log's last page: the part that fitted is cut off again.
    const long: TrainEvent = { seq: 0, time: 2, type: "error", message: "m".repeat(16_384) };
    const refused = await log.append(long).catch((err: unknown) => err);
    expect(isDiskFull(refused)).toBe(true);
    expect(readFileSync(join(dir, "events.jsonl"), "utf8")).toBe(`${JSON.stringify(first)}\n`);
    expect(log.numbered(long).seq).toBe(1);

    // The new checkpoint does not fit in the two pages left: the old file stays, whole, and no temporary file is left.
    rmSync(join(mountPoint, "spare"));
    const write = await writeRunFile(dir, "weights.safetensors", new Uint8Array(32_768).fill(9)).catch((e) => e);
    expect(isDiskFull(write)).toBe(true);
    expect(readFileSync(join(dir, "weights.safetensors"))).toEqual(Buffer.alloc(8192, 7));
    expect(execFileSync("ls", [dir]).toString().split("\n").filter(Boolean).sort()).toEqual([
      "events.jsonl",
      "weights.safetensors",
    ]);

    rmSync(join(mountPoint, "filler"));
    await log.append({ seq: 0, time: 3, type: "error", message: "after" });
    expect((await readRunEvents(dir)).map((e) => e.seq)).toEqual([0, 1]);
  });
});
