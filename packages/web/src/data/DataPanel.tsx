import type { DatasetUploaded } from "@layerlab/api";
import {
  augmentBatch,
  computeNormalization,
  datasetStatistics,
  gatherBatch,
  previewGrid,
  SHAPE_KINDS,
  type ShapeKind,
} from "@layerlab/data-core";
import {
  type Augmentation,
  Augmentation as AugmentationSchema,
  NORMALIZATION_MODES,
  type NormalizationMode,
} from "@layerlab/spec";
import { useEffect, useMemo, useState } from "react";
import { type DatasetSummary, listDatasets, uploadDataset } from "../api/client";
import type { StudioApi } from "../state/useStudio";
import { AugmentationFields, NormalizationField } from "../train/ConfigFormView";
import { DEFAULT_DATASET, type ShapesChoice } from "./datasets";
import { ImageCanvas, toRgb } from "./ImageCanvas";
import { cachedShapes } from "./shapesCache";
import { useServerDataset } from "./useServerDataset";

const PREVIEW_COUNT = 8;

/** The server's import report of an uploaded ZIP: layout, decoded size and colour, per-class counts, skipped files. */
function ImportReport({ uploaded }: { uploaded: DatasetUploaded }) {
  const r = uploaded.report as DatasetUploaded["report"] & {
    layout?: string;
    skipped?: { file?: string; reason?: string }[];
  };
  const classes = r.classes ?? [];
  return (
    <div className="import-report" data-testid="import-report">
      <p>
        <strong>Imported {uploaded.name}</strong>
        {r.layout && ` · layout ${r.layout}`}
      </p>
      <p data-testid="import-decoded">Images decoded to {r.decoded.summary}.</p>
      {classes.length > 0 && (
        <ClassCountsTable
          rows={classes.map((c) => ({ name: c, train: r.counts?.train?.[c] ?? 0, test: r.counts?.test?.[c] ?? 0 }))}
        />
      )}
      {(r.warnings ?? []).length > 0 && (
        <ul className="problem warn">
          {r.warnings!.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      {(r.skipped ?? []).length > 0 && (
        <details>
          <summary>{r.skipped!.length} files skipped</summary>
          <ul>
            {r.skipped!.slice(0, 50).map((f, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list.
              <li key={i}>
                {f.file}: {f.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** Choose the data (generated shapes or a server dataset), see samples and class counts, set augmentation with a live preview. */
export function DataPanel({ api, serverUp }: { api: StudioApi; serverUp: boolean }) {
  const choice = api.studio.dataset;
  const shapes: ShapesChoice = choice.kind === "shapes" ? choice : DEFAULT_DATASET;
  const server = useServerDataset(choice);
  const generated = useMemo(() => (choice.kind === "shapes" ? cachedShapes(choice) : null), [choice]);
  const dataset = generated ?? server.dataset;
  const stats = useMemo(() => (dataset ? datasetStatistics(dataset) : null), [dataset]);
  const chosen = api.studio.config.normalization;
  const mode: NormalizationMode = chosen && NORMALIZATION_MODES.includes(chosen) ? chosen : "per-channel";
  const normalization = useMemo(
    () => (dataset ? computeNormalization(dataset.train, dataset.shape, undefined, mode) : null),
    [dataset, mode],
  );
  const grid = useMemo(() => (dataset ? previewGrid(dataset, { perClass: 8 }) : null), [dataset]);
  const [previewSeed, setPreviewSeed] = useState(0);
  const augmentation = AugmentationSchema.safeParse(api.studio.config.augmentation ?? {}).data as
    | Augmentation
    | undefined;
  const augmented = useMemo(() => {
    if (!dataset || !augmentation) return [];
    const indices = Array.from({ length: PREVIEW_COUNT }, (_, i) => (i * 37) % dataset.train.count);
    const batch = gatherBatch(dataset.train, dataset.shape, indices, {
      mean: [0, 0, 0],
      std: [1 / 255, 1 / 255, 1 / 255],
    });
    augmentBatch(
      batch,
      dataset.shape,
      augmentation,
      { seed: previewSeed, epoch: 0, batchIndex: 0 },
      [0, 0, 0],
      dataset.allowsHorizontalFlip ?? true,
    );
    return indices.map((index, k) => ({ index, rgb: toRgb(batch.x, k, dataset.shape) }));
  }, [dataset, augmentation, previewSeed]);

  const [serverSets, setServerSets] = useState<DatasetSummary[]>([]);
  const [upload, setUpload] = useState<{ progress: number; uploaded?: DatasetUploaded; error?: string } | null>(null);
  const [listVersion, setListVersion] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `listVersion` re-lists after an upload adds a dataset.
  useEffect(() => {
    if (serverUp) listDatasets().then(setServerSets, () => setServerSets([]));
  }, [serverUp, listVersion]);

  const setShapes = (patch: Partial<ShapesChoice>) => api.run("setDataset", { dataset: { ...shapes, ...patch } });
  const toggleShape = (kind: ShapeKind) => {
    const next = shapes.shapes.includes(kind)
      ? shapes.shapes.filter((s) => s !== kind)
      : SHAPE_KINDS.filter((s) => s === kind || shapes.shapes.includes(s));
    if (next.length >= 2) setShapes({ shapes: next });
  };

  return (
    <div className="data-panel">
      <fieldset>
        <legend>Dataset</legend>
        <label className="radio">
          <input
            type="radio"
            name="dataset"
            checked={choice.kind === "shapes"}
            onChange={() => api.run("setDataset", { dataset: shapes })}
          />{" "}
          Synthetic shapes (generated in this page)
        </label>
        {serverSets.map((d) => (
          <label className="radio" key={d.id}>
            <input
              type="radio"
              name="dataset"
              checked={choice.kind === "server" && choice.id === d.id}
              onChange={() =>
                api.run("setDataset", { dataset: { kind: "server", id: d.id, shape: d.shape, classes: d.classes } })
              }
            />{" "}
            {d.name} ({d.trainCount.toLocaleString()} + {d.testCount.toLocaleString()} images, {d.classes.length}{" "}
            classes, {imageFormat(d.shape)})
          </label>
        ))}
        {!serverUp && (
          <p className="muted">
            MNIST, Fashion-MNIST, CIFAR-10 and uploads come from the server (`layerlab serve`); none answers here.
          </p>
        )}
      </fieldset>
      {choice.kind === "shapes" && (
        <fieldset>
          <legend>Shapes</legend>
          <div className="chips">
            {SHAPE_KINDS.map((k) => (
              <label key={k} className="chip toggle">
                <input type="checkbox" checked={shapes.shapes.includes(k)} onChange={() => toggleShape(k)} /> {k}
              </label>
            ))}
          </div>
          <div className="cfg-grid">
            <div className="cfg-field">
              <label htmlFor="shape-size">Image size</label>
              <input
                id="shape-size"
                type="number"
                min={8}
                max={64}
                value={shapes.size}
                onChange={(e) =>
                  Number(e.target.value) >= 8 && setShapes({ size: Math.min(64, Math.round(Number(e.target.value))) })
                }
              />
            </div>
            <div className="cfg-field">
              <label htmlFor="shape-count">Images per class</label>
              <input
                id="shape-count"
                type="number"
                min={10}
                max={5000}
                value={shapes.countPerClass}
                onChange={(e) =>
                  Number(e.target.value) >= 10 &&
                  setShapes({ countPerClass: Math.min(5000, Math.round(Number(e.target.value))) })
                }
              />
            </div>
            <div className="cfg-field">
              <label htmlFor="shape-seed">Seed</label>
              <input
                id="shape-seed"
                type="number"
                min={0}
                value={shapes.seed}
                onChange={(e) => setShapes({ seed: Math.max(0, Math.round(Number(e.target.value))) })}
              />
            </div>
          </div>
        </fieldset>
      )}
      {server.loading && (
        <p className="muted">Downloading {choice.kind === "server" ? choice.id : ""} for a preview…</p>
      )}
      {server.error && <p className="problem error">{server.error}</p>}
      {grid && stats && dataset && (
        <div className="samples" data-testid="data-samples">
          <ImageCanvas
            width={grid.width}
            height={grid.height}
            rgb={grid.pixels}
            scale={1.5}
            label="sample grid, one row per class"
          />
          <ClassCountsTable
            rows={dataset.classes.map((c, i) => ({
              name: c,
              train: stats.train.classCounts[i] ?? 0,
              test: stats.test.classCounts[i] ?? 0,
            }))}
          />
        </div>
      )}
      {serverUp && (
        <fieldset>
          <legend>Upload a ZIP</legend>
          <input
            type="file"
            accept=".zip,application/zip"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (!file) return;
              setUpload({ progress: 0 });
              uploadDataset(file, (p) => setUpload({ progress: p })).then(
                (uploaded) => {
                  setUpload({ progress: 1, uploaded });
                  setListVersion((v) => v + 1);
                },
                (err) => setUpload({ progress: 0, error: String(err.message ?? err) }),
              );
            }}
          />
          {upload && (
            <progress max={1} value={upload.progress} aria-label="upload progress" data-testid="upload-progress" />
          )}
          {upload?.error && (
            <p className="problem error" data-testid="upload-error">
              {upload.error}
            </p>
          )}
          {upload?.uploaded && <ImportReport uploaded={upload.uploaded} />}
        </fieldset>
      )}
      <fieldset>
        <legend>Normalisation</legend>
        <NormalizationField api={api} />
        {normalization && (
          <p className="muted" data-testid="normalization-stats">
            {normalization.mean.length > 1 ? "Per channel: " : ""}
            mean {normalization.mean.map((m) => m.toFixed(3)).join(" / ")}, std{" "}
            {normalization.std.map((d) => d.toFixed(3)).join(" / ")} on this data (pixels scaled to [0, 1]; the run
            computes them on its training split).
          </p>
        )}
      </fieldset>
      <fieldset>
        <legend>Augmentation</legend>
        <AugmentationFields api={api} />
        {augmented.length > 0 && dataset && (
          <div className="aug-preview" data-testid="aug-preview">
            {augmented.map(({ index, rgb }) => (
              <ImageCanvas
                key={index}
                width={dataset.shape[2]}
                height={dataset.shape[1]}
                rgb={rgb}
                scale={2}
                label={`augmented training image ${index + 1}`}
              />
            ))}
            <button type="button" onClick={() => setPreviewSeed((s) => s + 1)}>
              New draw
            </button>
          </div>
        )}
      </fieldset>
    </div>
  );
}

/** A dataset's image format in words: "32×32 RGB", "28×28 greyscale" (width × height). */
function imageFormat([channels, height, width]: readonly number[]): string {
  return `${width}×${height} ${channels === 1 ? "greyscale" : "RGB"}`;
}

/** Images per class in the train and test splits. */
function ClassCountsTable({ rows }: { rows: readonly { name: string; train: number; test: number }[] }) {
  return (
    <table className="counts">
      <thead>
        <tr>
          <th>class</th>
          <th>train</th>
          <th>test</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.name}>
            <td>{r.name}</td>
            <td>{r.train}</td>
            <td>{r.test}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
