import { authHeaders } from "./access-token";
/** The run an import made, as far as the page needs it to open the run. */
export interface ImportedRun {
  id: string;
  name: string;
}

/**
 * Uploads a model's files (spec.json with weights.safetensors or a state_dict
 * .pt, and normalization.json or model.py) to POST /api/runs/import; throws
 * the server's message, which names the file and what to send instead.
 */
export async function importModelFiles(files: readonly File[], dataset: string, name: string): Promise<ImportedRun> {
  const form = new FormData();
  form.append("dataset", dataset);
  if (name.trim()) form.append("name", name.trim());
  for (const file of files) form.append("files", file, file.name);
  let res: Response;
  try {
    res = await fetch("/api/runs/import", { method: "POST", body: form, headers: authHeaders() });
  } catch {
    throw new Error("the server cannot be reached — is `layerlab serve` running?");
  }
  const body = (await res.json().catch(() => null)) as { id?: string; name?: string; error?: string } | null;
  if (!res.ok || typeof body?.id !== "string") {
    throw new Error(body?.error ?? `the import failed (${res.status} ${res.statusText})`);
  }
  return { id: body.id, name: body.name ?? body.id };
}
