import type { ModelSpecInput } from "@layerlab/spec";
import { useState } from "react";
import { artifactUrl } from "../api/client";
import type { RunNormalization } from "./protocol";

/** The files a server run makes on request (exports, report, training curves), in the order the links show. */
export const SERVER_EXPORTS = [
  "model.py",
  "model.pt",
  "model.onnx",
  "spec.json",
  "export.safetensors",
  "report.html",
  "curves.png",
];

/** The export files a browser run builds in the page (the server's names; report.html needs the server). */
const BROWSER_EXPORTS = ["model.py", "model.pt", "model.onnx", "spec.json", "export.safetensors"] as const;
type BrowserExport = (typeof BROWSER_EXPORTS)[number];

/** Which exportModel format makes each file, and the name exportModel gives it. */
const MADE_BY: Record<BrowserExport, { format: "pytorch" | "onnx" | "safetensors"; file: string }> = {
  "model.py": { format: "pytorch", file: "model.py" },
  "model.pt": { format: "pytorch", file: "model.pt" },
  "model.onnx": { format: "onnx", file: "model.onnx" },
  "spec.json": { format: "safetensors", file: "spec.json" },
  "export.safetensors": { format: "safetensors", file: "weights.safetensors" },
};

/** Download links for a finished server run's exports (the server builds each on first request). */
export function ServerExports({ runId }: { runId: string }) {
  return (
    <>
      {SERVER_EXPORTS.map((name) => (
        <a key={name} className="button" href={artifactUrl(runId, name)} download data-testid={`export-${name}`}>
          {name}
        </a>
      ))}
    </>
  );
}

/** A registry run's files: those its done event lists (weights, metrics, test results…), then the exports. */
export function ServerDownloads({ runId, artifacts }: { runId: string; artifacts: readonly string[] }) {
  return (
    <div className="toolbar" data-testid="server-downloads">
      {artifacts
        .filter((name) => !SERVER_EXPORTS.includes(name))
        .map((name) => (
          <a key={name} className="button" href={artifactUrl(runId, name)} download>
            {name}
          </a>
        ))}
      <ServerExports runId={runId} />
    </div>
  );
}

function download(name: string, bytes: Uint8Array) {
  const url = URL.createObjectURL(
    new Blob([bytes.slice().buffer as ArrayBuffer], { type: "application/octet-stream" }),
  );
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  // Revoked later: the download starts after this task ends.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Buttons that build a finished browser run's exports in the page. The
 * exporter is imported on first click so it stays out of the first screen.
 */
export function BrowserExports({
  spec,
  weights,
  normalization,
}: {
  spec: ModelSpecInput;
  weights: Uint8Array;
  normalization?: RunNormalization;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<BrowserExport | null>(null);
  async function make(name: BrowserExport) {
    setError(null);
    setBusy(name);
    try {
      const { exportModel } = await import("@layerlab/export");
      const { format, file } = MADE_BY[name];
      const made = exportModel({ spec, weights, normalization, format }).find((f) => f.name === file);
      if (!made) throw new Error(`the exporter made no ${file}`);
      download(name, made.bytes);
    } catch (err) {
      setError(`Export failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(null);
    }
  }
  return (
    <>
      {BROWSER_EXPORTS.map((name) => (
        <button
          key={name}
          type="button"
          onClick={() => make(name)}
          disabled={busy !== null}
          data-testid={`export-${name}`}
        >
          {name}
        </button>
      ))}
      {error && <span className="problem error">{error}</span>}
    </>
  );
}
