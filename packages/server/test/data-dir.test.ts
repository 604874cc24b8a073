import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runServerExpectingExit } from "./child-server";

const scratch = mkdtempSync(join(tmpdir(), "layerlab-datadir-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Starts the real server entry with DATA_DIR=`dir`; it must exit 1 quickly with a message naming DATA_DIR, the path and a fix. */
async function expectRefusedDataDir(dir: string, problem: RegExp) {
  // The bound only catches a server that hangs or spins instead of exiting; it is not a speed target.
  const exit = await runServerExpectingExit({ DATA_DIR: dir }, 30_000);
  expect(exit.code, exit.output).toBe(1);
  expect(exit.output).toContain(`configuration error: DATA_DIR=${dir}`);
  expect(exit.output).toMatch(problem);
  expect(exit.output).toMatch(/point DATA_DIR at a writable folder|choose another DATA_DIR/);
  expect(exit.output).not.toMatch(/^\s+at /m);
}

/** Mounts a read-only tmpfs (we run as root); null where this machine does not allow mounting. */
function readOnlyMount(): string | null {
  const dir = join(scratch, "ro");
  try {
    execFileSync("mkdir", ["-p", dir]);
    execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir], { stdio: "ignore" });
    return dir;
  } catch {
    return null;
  }
}

describe("start-up refuses a DATA_DIR it cannot use, in words, within seconds", () => {
  it("refuses a folder under /proc instead of spinning", async () => {
    await expectRefusedDataDir("/proc/layerlab-data", /procfs|pseudo file system/);
  });

  it("refuses a file", async () => {
    const file = join(scratch, "a-file");
    writeFileSync(file, "not a folder");
    await expectRefusedDataDir(file, /is a file, not a folder/);
  });

  it("refuses a path that cannot be created", async () => {
    const file = join(scratch, "plain-file");
    writeFileSync(file, "x");
    await expectRefusedDataDir(join(file, "data"), /cannot be created \(ENOTDIR\)/);
  });

  it("refuses a read-only file system", async (ctx) => {
    const ro = readOnlyMount();
    if (ro === null) return ctx.skip("mounting a read-only tmpfs is not allowed on this machine");
    try {
      await expectRefusedDataDir(join(ro, "data"), /read-only file system|cannot be created \(EROFS\)/);
    } finally {
      execFileSync("umount", [ro]);
    }
  });
});
