/**
 * Peak resident memory of processes, read from Linux's /proc: a process's
 * VmHWM (its high-water mark), and the processes a given one started
 * (Chromium's renderers), so the bench can report memory beside throughput.
 */
import { readdirSync, readFileSync } from "node:fs";

/** The peak resident set of process `pid` in bytes (VmHWM), or null when it is gone or /proc cannot say. */
export function peakRssOf(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Every live process under `root` (children, their children, …), with its command line. */
export function descendantsOf(root: number): { pid: number; cmdline: string }[] {
  const parentOf = new Map<number, number>();
  for (const name of safeReaddir("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      // Fields after the command name, which may itself hold spaces and parentheses: state, ppid, …
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      parentOf.set(pid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Exited while we looked.
    }
  }
  const under = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, parent] of parentOf) {
      if (!under.has(pid) && under.has(parent)) {
        under.add(pid);
        grew = true;
      }
    }
  }
  under.delete(root);
  return [...under].map((pid) => ({ pid, cmdline: readCmdline(pid) }));
}

/**
 * The largest peak resident set among the Chromium renderer processes this
 * process started (one page runs at a time, so that is the page's renderer,
 * with its workers' threads inside it); null when none is found.
 */
export function peakRendererRss(): number | null {
  const peaks = descendantsOf(process.pid)
    .filter((p) => p.cmdline.includes("--type=renderer") && !p.cmdline.includes("--extension-process"))
    .map((p) => peakRssOf(p.pid))
    .filter((b): b is number => b !== null);
  return peaks.length ? Math.max(...peaks) : null;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}
