import type { EpochPredictions } from "@layerlab/api";
import { useCallback, useEffect, useRef, useState } from "react";
import type { Inspection } from "../train/protocol";
import { trainer } from "../train/trainer";
import type { EpochSource, EpochTimeline } from "./epochSource";

/*
 * The scrubber's state: the kept epochs, the one picked (kept in the address,
 * so a reload shows it again), each epoch's predictions and each
 * (epoch, image) inspection cached once fetched, so that scrubbing back is instant.
 */

/** Something asked for, with its answer or why there is none. */
export type Loadable<T> = { state: "loading" } | { state: "ready"; value: T } | { state: "failed"; error: string };

/** The address's `?epoch=` (the run page's hash is `#/run/<id>?epoch=3`). */
function epochInAddress(): number | null {
  const query = window.location.hash.split("?")[1] ?? "";
  const value = Number(new URLSearchParams(query).get("epoch"));
  return Number.isInteger(value) && value >= 1 ? value : null;
}

/** Writes `?epoch=` into the address without a navigation (no hashchange, no history entry). */
function putEpochInAddress(epoch: number): void {
  const [path = "", query = ""] = window.location.hash.split("?");
  const params = new URLSearchParams(query);
  params.set("epoch", String(epoch));
  window.history.replaceState(window.history.state, "", `${path}?${params.toString()}`);
}

/** How long after a change the epochs are listed once more (the newest epoch's weights land just after its event). */
const RELIST_AFTER_MS = 2000;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What the Epochs section shows and the commands it has. */
export interface EpochScrubber {
  timeline: Loadable<EpochTimeline>;
  /** The picked epoch (one of the timeline's), null before the timeline is there or when it has none. */
  epoch: number | null;
  pick: (epoch: number) => void;
  predictions: Loadable<EpochPredictions> | null;
  /** Which followed image (its position among the samples) the feature maps show. */
  sample: number;
  pickSample: (k: number) => void;
  inspection: Loadable<Inspection> | null;
}

/**
 * Follows `source`'s epochs; `refresh` changing (say, a run's epoch count as
 * it trains) lists them again. Returns null-free state for the view to render.
 */
export function useEpochScrubber(source: EpochSource, refresh: unknown): EpochScrubber {
  const [timeline, setTimeline] = useState<Loadable<EpochTimeline>>({ state: "loading" });
  const [epoch, setEpoch] = useState<number | null>(null);
  const [sample, setSample] = useState(0);
  const [, redraw] = useState(0);
  const views = useRef(new Map<number, Loadable<EpochPredictions>>());
  const inspections = useRef(new Map<string, Loadable<Inspection>>());
  /** Whether the person picked an epoch; until then a training run's newest epoch is shown as it arrives. */
  const chosen = useRef(epochInAddress() !== null);

  // A new source (another run) starts from nothing.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caches belong to the source.
  useEffect(() => {
    views.current = new Map();
    inspections.current = new Map();
    setEpoch(null);
    setTimeline({ state: "loading" });
  }, [source]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `refresh` is the reason to list again.
  useEffect(() => {
    let live = true;
    const list = () =>
      source.timeline().then(
        (t) => {
          if (!live) return;
          // What failed before (the run had not written a file yet, say) is asked again.
          for (const [e, view] of views.current) if (view.state === "failed") views.current.delete(e);
          for (const [k, view] of inspections.current) if (view.state === "failed") inspections.current.delete(k);
          setTimeline({ state: "ready", value: t });
          setEpoch((current) => {
            // The address's epoch at first, the person's pick later; else (following a run) the newest.
            const wanted = current === null ? epochInAddress() : chosen.current ? current : null;
            return wanted !== null && t.epochs.includes(wanted) ? wanted : (t.epochs.at(-1) ?? null);
          });
        },
        // A list that once came stays when a later one fails.
        (err: unknown) =>
          live &&
          setTimeline((before) => (before.state === "ready" ? before : { state: "failed", error: messageOf(err) })),
      );
    void list();
    // A run announces an epoch before it has written that epoch's weights: look again a moment later.
    const again = setTimeout(() => void list(), RELIST_AFTER_MS);
    return () => {
      live = false;
      clearTimeout(again);
    };
  }, [source, refresh]);

  const fetchView = useCallback(
    (e: number) => {
      if (views.current.has(e)) return;
      views.current.set(e, { state: "loading" });
      source
        .predictions(e)
        .then(
          (value) => views.current.set(e, { state: "ready", value }),
          (err: unknown) => views.current.set(e, { state: "failed", error: messageOf(err) }),
        )
        .finally(() => redraw((n) => n + 1));
    },
    [source],
  );

  // The picked epoch's predictions, then its neighbours' (so the next step is instant too).
  useEffect(() => {
    if (epoch === null || timeline.state !== "ready") return;
    fetchView(epoch);
    const list = timeline.value.epochs;
    const at = list.indexOf(epoch);
    for (const near of [list[at + 1], list[at - 1]]) if (near !== undefined) fetchView(near);
  }, [epoch, timeline, fetchView]);

  const inspectionKey = epoch === null ? null : `${epoch}:${sample}`;
  useEffect(() => {
    if (epoch === null || inspectionKey === null || timeline.state !== "ready") return;
    if (inspections.current.has(inspectionKey)) return;
    const { samples } = timeline.value;
    const size = samples.shape[0] * samples.shape[1] * samples.shape[2];
    if (sample >= samples.indices.length) return;
    const pixels = Float32Array.from(samples.images.subarray(sample * size, (sample + 1) * size), (v) => v / 255);
    inspections.current.set(inspectionKey, { state: "loading" });
    source
      .loadModel(epoch)
      .then((id) => trainer.inspect(id, pixels))
      .then(
        ({ inspection, error }) =>
          inspections.current.set(
            inspectionKey,
            inspection ? { state: "ready", value: inspection } : { state: "failed", error: error ?? "no answer" },
          ),
        (err: unknown) => inspections.current.set(inspectionKey, { state: "failed", error: messageOf(err) }),
      )
      .finally(() => redraw((n) => n + 1));
  }, [epoch, sample, inspectionKey, timeline, source]);

  const pick = useCallback((e: number) => {
    chosen.current = true;
    setEpoch(e);
    putEpochInAddress(e);
  }, []);

  return {
    timeline,
    epoch,
    pick,
    predictions: epoch === null ? null : (views.current.get(epoch) ?? { state: "loading" }),
    sample,
    pickSample: setSample,
    inspection: inspectionKey === null ? null : (inspections.current.get(inspectionKey) ?? { state: "loading" }),
  };
}
