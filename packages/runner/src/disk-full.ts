/** Error codes that mean "no space left": the file system is full, the user's quota is used up, or SQLite could not grow its file. */
const DISK_FULL_CODES = new Set(["ENOSPC", "EDQUOT", "SQLITE_FULL"]);

/** Whether `err` (or an error it wraps as `cause`) failed because the disk or quota is full. */
export function isDiskFull(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (DISK_FULL_CODES.has(String((e as { code?: unknown }).code))) return true;
  }
  return false;
}

/** How a run's message names a full disk: where it is, then what to do (e.g. "free space and resume the run"). */
export function diskFullMessage(where: string, fix: string): string {
  return `disk full in ${where}: ${fix}`;
}
