import { type DecodedImage, framesDrawingsAsDigits } from "@layerlab/data-core";
import type { ModelSpecInput } from "@layerlab/spec";
import { useEffect, useMemo, useRef, useState } from "react";
import { getRun, predictWithRun, type RunSummary } from "../api/client";
import { DRAW_SIZE, DrawCanvas, type DrawCanvasHandle, fitOnCanvas } from "../draw/DrawCanvas";
import { latestOnly } from "../draw/liveInference";
import { decodeUpload, drawingImage, modelInput } from "../draw/preprocess";
import { RegistryPicker } from "../draw/RegistryPicker";
import { loadServerModel, softmax } from "../draw/serverModel";
import { type RegistryModel, useRegistryModels } from "../draw/useRegistryModels";
import { InsidePanel } from "../inside/InsidePanel";
import { DrawSaliencyPanel } from "../saliency/DrawSaliencyPanel";
import { AS_DRAWN, type ImagePlacement } from "../saliency/heatmap";
import { SaliencyOverlay } from "../saliency/SaliencyOverlay";
import { useDrawSaliency } from "../saliency/useDrawSaliency";
import type { StudioApi } from "../state/useStudio";
import type { Inspection } from "../train/protocol";
import { trainer } from "../train/trainer";
import { useServerAvailable, useTrainer } from "../train/useTrainer";

/** A model the drawing can be tested on: trained in this page, or a run of the registry (its spec null until its detail arrives). */
type DrawModel = RegistryModel & { training: boolean };

/** Whether drawings reach `model` as MNIST digits: the server's rule, for its runs and the page's alike. */
function readsDigits(model: DrawModel): boolean {
  return framesDrawingsAsDigits(model.dataset);
}

/** What the models are asked about: the drawing or an uploaded file, as pixels and as the server takes it. */
interface Sample {
  image: DecodedImage;
  /** The image as a data: URL for the server's predict endpoint. */
  dataUrl: () => string;
  /** Where the image lies on the drawing canvas (an upload is fitted into it), for the saliency overlay. */
  placement: ImagePlacement;
}

/** A model's answer for the latest sample, or why there is none. */
interface Answer {
  probs: Float32Array | null;
  error: string | null;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Reads a file as a data: URL. */
function readDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("the file cannot be read"));
    reader.readAsDataURL(file);
  });
}

function Probabilities({ model, answer }: { model: DrawModel; answer: Answer | null }) {
  const probs = answer?.probs ?? null;
  const best = probs ? probs.indexOf(Math.max(...probs)) : -1;
  return (
    <div className="probs" data-testid="probabilities">
      <h3>
        {model.name}{" "}
        <span className="muted">
          ({model.where === "server" ? "server" : "this browser"}
          {model.training ? ", training…" : ""})
        </span>
      </h3>
      <p className="prediction">
        {probs ? (
          <>
            Prediction: <strong data-testid="prediction">{model.classes[best]}</strong> (
            {(probs[best]! * 100).toFixed(1)}%)
          </>
        ) : (
          "Draw something."
        )}
      </p>
      {answer?.error && <p className="problem error">This model cannot answer: {answer.error}</p>}
      <ul>
        {model.classes.map((c, i) => (
          <li key={c} className={i === best ? "best" : ""}>
            <span>{c}</span>
            <span className="bar">
              <span className="bar-fill" style={{ width: `${((probs?.[i] ?? 0) * 100).toFixed(1)}%` }} />
            </span>
            <span>{probs ? `${(probs[i]! * 100).toFixed(1)}%` : ""}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A server model's copy in this page, as the inside views need it. */
type LocalCopy =
  | { id: string; status: "loading" }
  | { id: string; status: "ready"; spec: ModelSpecInput }
  | { id: string; status: "failed"; error: string };

/** What the page's copy of a server model predicts for the inspected drawing (its probabilities in `data-probabilities`). */
function CopyPrediction({ classes, inspection }: { classes: string[]; inspection: Inspection }) {
  const logits = inspection.layers.at(-1)?.data;
  if (!logits) return null;
  const probs = softmax(logits);
  const best = probs.indexOf(Math.max(...probs));
  return (
    <p className="muted" data-testid="copy-prediction" data-probabilities={JSON.stringify(Array.from(probs))}>
      This page's copy of the model predicts{" "}
      <strong data-testid="copy-prediction-class">{classes[best] ?? `class ${best}`}</strong> (
      {(probs[best]! * 100).toFixed(1)}%); the views below are its activations.
    </p>
  );
}

/** Draw (or upload) an image and watch one or two models' probabilities change while drawing. */
export function DrawPage({ api }: { api: StudioApi }) {
  const state = useTrainer();
  const serverUp = useServerAvailable();
  const [picked, setPicked] = useState<DrawModel[]>([]);
  const local: DrawModel[] = state.runs
    .filter((r) => (r.where === "browser" && r.series.start) || (r.where === "server" && r.series.end?.type === "done"))
    .map((r) => ({
      id: r.id,
      name: r.name,
      classes: (r.studio.spec.classes ?? []) as string[],
      where: r.where,
      spec: r.studio.spec,
      dataset: r.studio.dataset.kind === "server" ? r.studio.dataset.id : r.studio.dataset.kind,
      training: !r.series.end,
    }));
  // Recent finished runs of the registry (the server's, or this browser's store), so a reload keeps its models.
  const registry: DrawModel[] = useRegistryModels(serverUp).map((m) => ({ ...m, training: false }));
  const listed = [...local, ...picked];
  const models = [
    ...registry.filter((r) => !listed.some((l) => l.id === r.id)),
    ...local,
    ...picked.filter((p) => !local.some((l) => l.id === p.id)),
  ];
  const [chosen, setChosen] = useState<string[]>([]);
  // Until the user picks, the run the Train page shows (its "Test this model" leads here), else the newest.
  const shownOnTrain = models.find((m) => m.id === state.activeId);
  // The run the Train page shows, else the last one this tab started: the registry filter starts at its setup.
  const trainedHere = (state.runs.find((r) => r.id === state.activeId) ?? state.runs.at(-1))?.studio ?? null;
  const selected = (chosen.length ? chosen : [(shownOnTrain ?? models.at(-1))?.id ?? ""])
    .map((id) => models.find((m) => m.id === id))
    .filter((m): m is DrawModel => Boolean(m));
  const [answers, setAnswers] = useState<Record<string, Answer>>({});
  const canvas = useRef<DrawCanvasHandle>(null);
  // True from Clear until the next stroke: the canvas is empty, so no prediction is shown.
  const blank = useRef(false);
  // True while an upload is painted onto the canvas: the models are asked about the file itself, not its copy there.
  const paintingUpload = useRef(false);
  const [uploadError, setUploadError] = useState<string | null>(null);

  const selectedKey = selected.map((m) => m.id).join(",");
  // biome-ignore lint/correctness/useExhaustiveDependencies: one throttle per chosen model, rebuilt only when the choice changes.
  const predictors = useMemo(
    () =>
      Object.fromEntries(
        selected.map((m) => [
          m.id,
          latestOnly(
            async (sample: Sample): Promise<Answer> => {
              try {
                if (m.where === "server") {
                  const out = await predictWithRun(m.id, sample.dataUrl());
                  return { probs: Float32Array.from(out.probabilities), error: null };
                }
                if (!m.spec) return { probs: null, error: null };
                const x = modelInput(m.spec, readsDigits(m), sample.image);
                await m.load?.();
                const out = await trainer.predict(m.id, x);
                return { probs: out.probabilities, error: out.error ?? null };
              } catch (err) {
                return { probs: null, error: messageOf(err) };
              }
            },
            // A prediction that lands after Clear belongs to the erased drawing.
            (out) => !blank.current && setAnswers((a) => ({ ...a, [m.id]: out })),
          ),
        ]),
      ),
    [selectedKey],
  );
  // The inside views follow the first selected model. They need every layer's output, which only this
  // page's worker computes: a server model gets a copy loaded into it (its predictions stay the server's).
  const insideModel = selected[0] ?? null;
  const [copy, setCopy] = useState<LocalCopy | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once per model, not on every render.
  useEffect(() => {
    if (insideModel?.where !== "server") return;
    const { id, spec } = insideModel;
    let current = true;
    setCopy({ id, status: "loading" });
    (async () => {
      const known = spec ?? (await getRun(id)).spec;
      await loadServerModel(id, known);
      return known;
    })().then(
      (loaded) => current && setCopy({ id, status: "ready", spec: loaded }),
      (err: unknown) =>
        current &&
        setCopy({
          id,
          status: "failed",
          error: `the model could not be loaded into this page (${err instanceof Error ? err.message : String(err)}); its predictions still come from the server`,
        }),
    );
    return () => {
      current = false;
    };
  }, [insideModel?.id]);
  const insideCopy = insideModel?.where === "server" && copy?.id === insideModel.id ? copy : null;
  const insideSpec =
    insideModel?.where === "browser" ? insideModel.spec : insideCopy?.status === "ready" ? insideCopy.spec : null;
  const [inside, setInside] = useState<{ modelId: string; inspection: Inspection | null; error: string | null }>({
    modelId: "",
    inspection: null,
    error: null,
  });
  const lastSample = useRef<Sample | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: one throttle per inside model, rebuilt only when it changes.
  const inspector = useMemo(() => {
    if (!insideModel || !insideSpec) return null;
    const { id } = insideModel;
    const digits = readsDigits(insideModel);
    return latestOnly(
      async (sample: Sample) => {
        let x: Float32Array;
        try {
          x = modelInput(insideSpec, digits, sample.image);
        } catch (err) {
          return { modelId: id, inspection: null, error: messageOf(err) };
        }
        await insideModel.load?.();
        const got = await trainer.inspect(id, x);
        return { modelId: id, inspection: got.inspection, error: got.error ?? null };
      },
      (out) => !blank.current && setInside(out),
    );
  }, [insideModel?.id, insideSpec]);
  // A drawing made before the model was ready (or for another model) is shown as soon as it is.
  useEffect(() => {
    if (inspector && lastSample.current) inspector(lastSample.current);
  }, [inspector]);
  const insideShown = inside.modelId === insideModel?.id ? inside : { inspection: null, error: null };
  const insideNote =
    insideCopy?.status === "loading"
      ? "loading the model into this page…"
      : insideCopy?.status === "failed"
        ? insideCopy.error
        : insideShown.error;
  // While the model trains, its weights move under a still drawing: refresh the inside views once a second.
  const insideTraining = (insideModel?.where === "browser" && insideModel.training) || false;
  useEffect(() => {
    if (!inspector || !insideTraining) return;
    const timer = setInterval(() => lastSample.current && inspector(lastSample.current), 1000);
    return () => clearInterval(timer);
  }, [inspector, insideTraining]);
  // "What did it look at": saliency maps of the inside model, computed by the same copy the inside views use.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the model is the same while its id and spec are.
  const explained = useMemo(
    () =>
      insideModel && insideSpec
        ? { id: insideModel.id, spec: insideSpec, digits: readsDigits(insideModel), load: insideModel.load }
        : null,
    [insideModel?.id, insideSpec],
  );
  const saliency = useDrawSaliency(explained, blank);
  useEffect(() => {
    if (saliency.explain && lastSample.current) saliency.explain(lastSample.current);
  }, [saliency.explain]);
  useEffect(() => {
    const explain = saliency.explain;
    if (!explain || !insideTraining) return;
    const timer = setInterval(() => lastSample.current && explain(lastSample.current), 1000);
    return () => clearInterval(timer);
  }, [saliency.explain, insideTraining]);
  const ask = (sample: Sample) => {
    blank.current = false;
    lastSample.current = sample;
    for (const m of selected) predictors[m.id]?.(sample);
    inspector?.(sample);
    saliency.explain?.(sample);
  };
  const onInk = (data: Float32Array, size: number) => {
    if (paintingUpload.current) return;
    ask({ image: drawingImage(data, size), dataUrl: () => canvas.current!.toDataUrl(), placement: AS_DRAWN });
  };
  const clear = () => {
    canvas.current?.clear();
    blank.current = true;
    lastSample.current = null;
    setAnswers({});
    setUploadError(null);
    setInside({ modelId: "", inspection: null, error: null });
    saliency.clear();
  };
  // The models get the file's own pixels (the server the file itself): the canvas only shows it.
  const upload = async (file: File) => {
    let image: DecodedImage;
    let dataUrl: string;
    try {
      [image, dataUrl] = await Promise.all([decodeUpload(file), readDataUrl(file)]);
    } catch (err) {
      setUploadError(`${file.name} cannot be read as an image (${messageOf(err)}); upload a PNG or JPEG`);
      return;
    }
    setUploadError(null);
    const bitmap = await createImageBitmap(file);
    paintingUpload.current = true;
    try {
      canvas.current?.drawImage(bitmap, bitmap.width, bitmap.height);
    } finally {
      paintingUpload.current = false;
      bitmap.close();
    }
    ask({ image, dataUrl: () => dataUrl, placement: fitOnCanvas(image.width, image.height) });
  };
  const pickServer = (run: RunSummary) => {
    setPicked((p) => [
      ...p.filter((x) => x.id !== run.id),
      { id: run.id, name: run.name, classes: [], where: "server", spec: null, dataset: run.dataset, training: false },
    ]);
    // Picking a model that is already shown (the registry lists recent runs) moves it last rather than twice.
    setChosen((c) => [...(c.length ? c : selected.map((s) => s.id)).filter((id) => id !== run.id), run.id].slice(-2));
    // Class names come with the first prediction; fetch them now so the bars show.
    predictWithRun(run.id, canvas.current!.toDataUrl()).then(
      (out) => setPicked((p) => p.map((x) => (x.id === run.id ? { ...x, classes: out.classes } : x))),
      () => undefined,
    );
  };

  return (
    <div className="page draw-page">
      <section className="panel">
        <h2>Draw</h2>
        <DrawCanvas
          ref={canvas}
          onInk={onInk}
          overlay={
            saliency.on && (
              <SaliencyOverlay
                map={saliency.shown?.map ?? null}
                placement={saliency.shown?.placement ?? null}
                size={DRAW_SIZE}
                label="Heat map over the drawing: brighter pixels drove the prediction more"
              />
            )
          }
        />
        <div className="toolbar">
          <button type="button" onClick={clear}>
            Clear
          </button>
          <label className="button">
            Upload an image{" "}
            <input
              type="file"
              accept="image/*"
              hidden
              onChange={(e) => {
                const file = e.target.files?.[0];
                // Cleared so that choosing the same file again uploads it again.
                e.target.value = "";
                if (file) void upload(file);
              }}
            />
          </label>
          {insideModel && (
            <button type="button" aria-pressed={saliency.on} onClick={() => saliency.setOn(!saliency.on)}>
              Show what it looked at
            </button>
          )}
          {uploadError && <span className="problem error">{uploadError}</span>}
        </div>
        {saliency.on && insideModel && (
          <DrawSaliencyPanel
            saliency={saliency}
            classes={insideModel.classes}
            note={
              insideCopy?.status === "loading"
                ? "Loading the model into this page…"
                : insideCopy?.status === "failed"
                  ? insideCopy.error
                  : insideSpec
                    ? null
                    : "Waiting for the model's details…"
            }
          />
        )}
      </section>
      <section className="panel">
        <h2>Models</h2>
        {models.length === 0 && (
          <div className="toolbar">
            <span>No model trained in this browser yet.</span>
            <a className="button primary" href="#/train">
              Train this configuration
            </a>
          </div>
        )}
        {models.length > 0 && (
          <fieldset className="chips">
            <legend className="muted">Pick one, or two to compare side by side.</legend>
            {models.map((m) => (
              <label key={m.id} className="chip toggle">
                <input
                  type="checkbox"
                  checked={selected.some((s) => s.id === m.id)}
                  onChange={(e) =>
                    setChosen((c) => {
                      const base = c.length ? c : selected.map((s) => s.id);
                      return e.target.checked ? [...base, m.id].slice(-2) : base.filter((id) => id !== m.id);
                    })
                  }
                />
                {m.name}
              </label>
            ))}
          </fieldset>
        )}
        {serverUp && <RegistryPicker api={api} trainedHere={trainedHere} onPick={pickServer} />}
        <div className="side-by-side">
          {selected.map((m) => (
            <Probabilities key={m.id} model={m} answer={answers[m.id] ?? null} />
          ))}
        </div>
      </section>
      {insideModel && (
        <InsidePanel
          modelName={insideModel.name}
          classes={insideModel.classes}
          inspection={insideShown.inspection}
          error={insideNote}
        >
          {insideModel.where === "server" && insideShown.inspection && (
            <CopyPrediction classes={insideModel.classes} inspection={insideShown.inspection} />
          )}
        </InsidePanel>
      )}
    </div>
  );
}
