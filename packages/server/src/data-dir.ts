import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  mkdirSync,
  openSync,
  realpathSync,
  statfsSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "./config";

/** statfs magic numbers of kernel pseudo file systems, which hold no data and behave unlike disks. */
const PSEUDO_FS: Record<number, string> = {
  40864: "procfs",
  1650812274: "sysfs",
  7377: "devpts",
  2613483: "cgroup",
  1667723888: "cgroup2",
  1684170528: "debugfs",
  1935894131: "securityfs",
};

/** The deepest part of `path` that exists, resolved through links. */
function existingAncestor(path: string): string {
  let p = path;
  for (;;) {
    try {
      return realpathSync(p);
    } catch {
      const parent = dirname(p);
      if (parent === p) return p;
      p = parent;
    }
  }
}

function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** Why `folder` cannot be written to (an errno code), or null when it can. */
function writeProblemOf(folder: string): string | null {
  try {
    accessSync(folder, constants.W_OK);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? "not writable";
  }
}

const fail = (dir: string, problem: string, fix: string) => new ConfigError(`DATA_DIR=${dir} ${problem}; ${fix}`);

/**
 * Makes sure DATA_DIR is a writable folder on a real file system before the
 * server opens its registry there: creates it, refuses kernel pseudo file
 * systems (a registry under /proc made the server spin forever) and files, and
 * writes, syncs and removes a probe file. Throws a ConfigError naming
 * DATA_DIR, the path and the fix.
 */
export function prepareDataDir(dir: string): void {
  const fix = "point DATA_DIR at a writable folder on a disk (e.g. DATA_DIR=./data)";
  const ancestor = existingAncestor(dir);
  const fsType = PSEUDO_FS[Number(statfsSync(ancestor).type)];
  if (fsType !== undefined || /^\/(proc|sys|dev)(\/|$)/.test(ancestor)) {
    throw fail(dir, `is on ${fsType ?? "a kernel pseudo file system"} (${ancestor}), which cannot hold data`, fix);
  }
  if (ancestor === realpathOrNull(dir) && !statSync(ancestor).isDirectory()) {
    throw fail(dir, "is a file, not a folder", fix);
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    // Node's recursive mkdir reports ENOENT where the real cause is the parent's (EROFS, EACCES).
    throw fail(dir, `cannot be created (${writeProblemOf(ancestor) ?? (err as NodeJS.ErrnoException).code})`, fix);
  }
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    const fd = openSync(probe, "w");
    try {
      writeSync(fd, "layerlab");
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    unlinkSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === "ENOSPC"
        ? "is on a full disk"
        : code === "EROFS"
          ? "is on a read-only file system"
          : `is not writable (${code ?? (err as Error).message})`;
    throw fail(dir, problem, code === "ENOSPC" ? "free some space or choose another DATA_DIR" : fix);
  }
}
