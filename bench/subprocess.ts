import { spawn } from "node:child_process";

/** A child process's exit and output. */
export interface ProcessOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs `command args` with a time limit, forwarding each stderr line to
 * `onStderr` as it comes (progress), and collects stdout.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  opts: { timeoutMs: number; cwd?: string; onStderr?: (line: string) => void },
): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let pending = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) opts.onStderr?.(line);
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (pending.trim()) opts.onStderr?.(pending);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** The JSON object a child printed as its last stdout line, or an error that says what went wrong instead. */
export function parseChildJson(what: string, outcome: ProcessOutcome, timeoutMs: number): unknown {
  if (outcome.timedOut) throw new Error(`${what} took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`);
  if (outcome.code !== 0) {
    const tail = outcome.stderr.trim().split("\n").slice(-1)[0] ?? "";
    throw new Error(`${what} exited with code ${outcome.code}: ${tail}`);
  }
  const last = outcome.stdout.trim().split("\n").slice(-1)[0] ?? "";
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`${what} printed no JSON result (stdout: ${last.slice(0, 200) || "empty"})`);
  }
}
