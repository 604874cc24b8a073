import { useEffect, useRef } from "react";
import type { IfExists, RunSummary } from "../api/client";

/** What the person chose for a configuration that has a run already. */
export type DuplicateChoice = "use" | Exclude<IfExists, "reuse"> | "cancel";

/**
 * Asks what to do when the configuration about to start has a run already:
 * use that run (nothing is created), overwrite it, or train a new copy.
 */
export function DuplicatePrompt({
  existing,
  onChoose,
}: {
  existing: RunSummary;
  onChoose: (choice: DuplicateChoice) => void;
}) {
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const accuracy =
    existing.metrics.testAccuracy !== null
      ? `, ${(existing.metrics.testAccuracy * 100).toFixed(2)}% test accuracy`
      : "";
  return (
    <div
      className="duplicate-prompt"
      role="dialog"
      aria-modal="false"
      aria-labelledby="dup-h"
      onKeyDown={(e) => e.key === "Escape" && onChoose("cancel")}
    >
      <h3 id="dup-h">This configuration has a run already</h3>
      <p>
        <strong>{existing.name}</strong> ({existing.status}
        {accuracy}, trained {existing.executor === "browser" ? "in a browser" : "on the server"}) has the same model,
        training settings and data.
      </p>
      <div className="toolbar">
        <button type="button" className="primary" ref={first} onClick={() => onChoose("use")}>
          Use the existing run
        </button>
        <button type="button" className="danger" onClick={() => onChoose("overwrite")}>
          Overwrite it
        </button>
        <button type="button" onClick={() => onChoose("new")}>
          Train a new copy
        </button>
        <button type="button" className="ghost" onClick={() => onChoose("cancel")}>
          Cancel
        </button>
      </div>
    </div>
  );
}
