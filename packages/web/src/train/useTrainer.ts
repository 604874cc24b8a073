import { useEffect, useState, useSyncExternalStore } from "react";
import { serverAvailable } from "../api/client";
import { trainer } from "./trainer";

/** The trainer's state, re-rendering on every change. */
export function useTrainer() {
  return useSyncExternalStore(trainer.subscribe, trainer.getState);
}

/** What is known of the LayerLab server at this origin: still asking, it answers, or nothing does. */
export type ServerCheck = "checking" | "up" | "down";

/** The last answer of this page's server check: a page opened later starts from it instead of from "checking". */
let lastServerCheck: ServerCheck = "checking";

/**
 * Whether a LayerLab server answers at this origin, asked again on every mount. Until the first answer of
 * the page it is "checking", so that a page does not say "no server" for the moment the question takes.
 */
export function useServerCheck(): ServerCheck {
  const [state, setState] = useState<ServerCheck>(lastServerCheck);
  useEffect(() => {
    let live = true;
    serverAvailable().then((ok) => {
      lastServerCheck = ok ? "up" : "down";
      if (live) setState(lastServerCheck);
    });
    return () => {
      live = false;
    };
  }, []);
  return state;
}

/** Whether a LayerLab server answers at this origin (false while that is still being asked). */
export function useServerAvailable(): boolean {
  return useServerCheck() === "up";
}
