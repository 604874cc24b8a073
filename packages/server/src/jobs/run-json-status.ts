import { isRunFolder, jsonText, RUN_FILES, type RunStatus, readRunInfo, writeRunFile } from "@layerlab/runner";

/**
 * Rewrites a run folder's run.json to say `status` (with `message` and no
 * process) when it names another status, so the folder agrees with the
 * registry. Resolves to whether it rewrote; false as well without a run.json.
 * Rejects when the rewrite fails (a full disk).
 */
export async function matchRunJsonStatus(dir: string, status: RunStatus, message: string | null): Promise<boolean> {
  if (!isRunFolder(dir)) return false;
  const info = await readRunInfo(dir).catch(() => null);
  if (!info || info.status === status) return false;
  await writeRunFile(dir, RUN_FILES.run, jsonText({ ...info, status, message, pid: null }));
  return true;
}
