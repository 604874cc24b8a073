import { API_DOCS_PAGE } from "@layerlab/api";
import { useEffect, useLayoutEffect, useState } from "react";
import { AccessTokenGate } from "./api/AccessTokenGate";
import { GlossaryPage } from "./guide/GlossaryPage";
import { TourLauncher } from "./guide/Tour";
import { BuildPage } from "./pages/BuildPage";
import { ComparePage } from "./pages/ComparePage";
import { DrawPage } from "./pages/DrawPage";
import { RunPage } from "./pages/RunPage";
import { RunsPage } from "./pages/RunsPage";
import { TrainPage } from "./pages/TrainPage";
import { studioFromLocation, useStudio } from "./state/useStudio";
import { SweepPage } from "./sweeps/SweepPage";

const PAGES = [
  { route: "build", label: "Build" },
  { route: "train", label: "Data & train" },
  { route: "draw", label: "Test by drawing" },
  { route: "runs", label: "Runs" },
  { route: "compare", label: "Compare" },
  { route: "glossary", label: "Glossary" },
] as const;
type Route = (typeof PAGES)[number]["route"] | "run" | "sweep";

/** The run a `#/run/<id>` address opens, or null. */
function runIdOf(hash: string): string | null {
  const m = /^#\/?run\/([^?]+)/.exec(hash);
  return m ? decodeURIComponent(m[1]!) : null;
}

/** The sweep a `#/sweeps/<id>` address opens, or null. */
function sweepIdOf(hash: string): string | null {
  const m = /^#\/?sweeps\/([^?/]+)/.exec(hash);
  return m ? decodeURIComponent(m[1]!) : null;
}

function routeOf(hash: string): Route {
  if (runIdOf(hash)) return "run";
  if (sweepIdOf(hash)) return "sweep";
  // "#/glossary/<term>" is the glossary page opened at one entry.
  const raw = hash.replace(/^#\/?/, "").split(/[?/]/)[0];
  // The server's "train this configuration" links say #/builder.
  // "#/sweeps" (no id) is the list of sweeps, on the Runs page.
  const name = raw === "builder" ? "build" : raw === "sweeps" ? "runs" : raw;
  return (PAGES.find((p) => p.route === name)?.route ?? "build") as Route;
}

/** The page the address names, and the run a `#/run/<id>` address opens. */
function useRoute(): { route: Route; runId: string | null; sweepId: string | null } {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return { route: routeOf(hash), runId: runIdOf(hash), sweepId: sweepIdOf(hash) };
}

/**
 * Opens every new page at its top: a hash change keeps the window's scroll, so a button at the bottom of a
 * long page ("Test this model →" under the dashboard) would land a phone half-way down the next one, its
 * drawing canvas out of sight. A layout effect, so that a page's own effects (the glossary scrolling to an
 * entry) still win.
 */
function useTopOfEachPage(page: string): void {
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new page is what should scroll the window back up.
  useLayoutEffect(() => {
    window.scrollTo(0, 0);
  }, [page]);
}

function useTheme(): [string, () => void] {
  const [theme, setTheme] = useState(
    () =>
      localStorage.getItem("layerlab.theme") ?? (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"),
  );
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("layerlab.theme", theme);
  }, [theme]);
  return [theme, () => setTheme((t) => (t === "dark" ? "light" : "dark"))];
}

/** The studio: one header, one page per route, one studio state shared by all pages. */
export function App() {
  const [boot] = useState(studioFromLocation);
  const studio = useStudio(boot.history);
  const { route, runId, sweepId } = useRoute();
  useTopOfEachPage(`${route}/${runId ?? ""}/${sweepId ?? ""}`);
  const [theme, toggleTheme] = useTheme();
  const [linkError, setLinkError] = useState(boot.linkError);
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/build">
          LayerLab
        </a>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a
              key={p.route}
              href={`#/${p.route}`}
              aria-current={
                route === p.route || ((route === "run" || route === "sweep") && p.route === "runs") ? "page" : undefined
              }
            >
              {p.label}
            </a>
          ))}
        </nav>
        <a
          className="api-docs"
          href={API_DOCS_PAGE}
          target="_blank"
          rel="noopener"
          title="The server's HTTP API, browsable"
        >
          API
        </a>
        <TourLauncher />
        <button
          type="button"
          className="ghost"
          onClick={toggleTheme}
          aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
        >
          {theme === "dark" ? "☀ Light" : "☾ Dark"}
        </button>
      </header>
      <AccessTokenGate />
      {linkError && (
        <div className="banner error" role="alert">
          {linkError}{" "}
          <button type="button" className="ghost" onClick={() => setLinkError(null)}>
            Dismiss
          </button>
        </div>
      )}
      <main>
        {route === "build" && <BuildPage api={studio} />}
        {route === "train" && <TrainPage api={studio} />}
        {route === "draw" && <DrawPage api={studio} />}
        {route === "runs" && <RunsPage api={studio} />}
        {route === "compare" && <ComparePage />}
        {route === "glossary" && <GlossaryPage />}
        {route === "run" && runId && <RunPage api={studio} runId={runId} />}
        {route === "sweep" && sweepId && <SweepPage key={sweepId} sweepId={sweepId} />}
      </main>
    </div>
  );
}
