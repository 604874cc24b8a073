import { useEffect, useState, useSyncExternalStore } from "react";
import { serverAvailable } from "../api/client";
import { trainer } from "./trainer";

/** The trainer's state, re-rendering on every change. */
export function useTrainer() {
  return useSyncExternalStore(trainer.subscribe, trainer.getState);
}

/** Whether a LayerLab server answers at this origin (checked once per mount). */
export function useServerAvailable(): boolean {
  const [up, setUp] = useState(false);
  useEffect(() => {
    let live = true;
    serverAvailable().then((ok) => live && setUp(ok));
    return () => {
      live = false;
    };
  }, []);
  return up;
}
