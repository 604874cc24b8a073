import type { Health } from "@layerlab/api";
import { useEffect, useState } from "react";
import { serverHealth } from "../../api/client";

/** How often the strip asks the server again: a worker's "last seen" should not look stale. */
const POLL_MS = 5000;

/** "3 s ago", "2 min ago": how long since a worker's last heartbeat. */
function ago(time: number, now: number): string {
  const s = Math.max(0, Math.round((now - time) / 1000));
  return s < 90 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

/**
 * The server's queue and, with a PostgreSQL registry, the `layerlab worker`s
 * that train its runs: each worker's name, its current runs and when it was
 * last heard from.
 */
export function WorkersStrip() {
  const [health, setHealth] = useState<Health | null>(null);
  useEffect(() => {
    let stopped = false;
    const read = () =>
      serverHealth().then(
        (h) => !stopped && setHealth(h),
        () => {},
      );
    void read();
    const timer = setInterval(read, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  if (!health) return null;
  const { running, queued, workers } = health;
  return (
    <section className="workers-strip" aria-label="Server queue and workers">
      <p>
        <strong>Server queue:</strong> {queued} waiting · {running} training
        {health.database === "postgres" && workers.length === 0 && (
          <span className="muted"> · no worker has connected yet (start one with layerlab worker)</span>
        )}
      </p>
      {workers.length > 0 && (
        <ul className="workers">
          {workers.map((w) => (
            <li key={w.name} className={w.alive ? "alive" : "gone"}>
              <strong>{w.name}</strong> · {w.runs.length === 0 ? "idle" : `${w.runs.length} of ${w.slots} slots busy`} ·{" "}
              {w.alive ? "last seen" : "silent since"} {ago(w.lastSeen, health.time)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
