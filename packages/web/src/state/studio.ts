import {
  applyConfigEdit,
  applyEdit,
  buildTemplate,
  defaultTrainingConfig,
  insertionIndex,
  type LayerInput,
  type LayerKind,
  type ModelSpecInput,
  type SpecEdit,
  TEMPLATES,
  type TemplateId,
  type TrainingConfigInput,
} from "@layerlab/spec";
import { type DatasetChoice, DEFAULT_DATASET, datasetFacts } from "../data/datasets";

/** What a shared link reproduces: the model, the training config and the data. */
export interface Studio {
  spec: ModelSpecInput;
  config: TrainingConfigInput;
  dataset: DatasetChoice;
}

/** Parameters a freshly added chip starts with (the spec's required fields, filled with usual values). */
export const NEW_LAYER: { [K in LayerKind]: LayerInput } = {
  dense: { kind: "dense", units: 64, activation: "relu" },
  conv2d: { kind: "conv2d", filters: 16, kernel: 3, padding: "same", activation: "relu" },
  maxPool2d: { kind: "maxPool2d", size: 2 },
  avgPool2d: { kind: "avgPool2d", size: 2 },
  globalAvgPool: { kind: "globalAvgPool" },
  batchNorm: { kind: "batchNorm" },
  dropout: { kind: "dropout", rate: 0.3 },
  flatten: { kind: "flatten" },
  activation: { kind: "activation", fn: "relu" },
  // A merge from the palette takes the layer before it; connecting another layer's output gives its second input.
  add: { kind: "add" },
  concat: { kind: "concat" },
};

/** The studio a first visit opens: the MLP template on the synthetic shapes. */
export function initialStudio(): Studio {
  return fromTemplate("mlp", DEFAULT_DATASET);
}

/** A studio built from template `id` for `dataset`, with the template's suggested config. */
export function fromTemplate(id: TemplateId, dataset: DatasetChoice): Studio {
  const template = TEMPLATES[id];
  const spec = buildTemplate(id, datasetFacts(dataset));
  const config = { ...defaultTrainingConfig(), ...(template.suggestedConfig ?? {}) } as TrainingConfigInput;
  return { spec, config, dataset };
}

/**
 * A user action as a plain object: `perform` maps the studio to a new one and
 * never mutates it, so undo/redo is a history of values (excalidraw's pattern).
 */
export interface Command<A> {
  name: string;
  /** What the undo button's tooltip says. */
  label: (arg: A) => string;
  perform: (studio: Studio, arg: A) => Studio;
}

function layersOf(spec: ModelSpecInput): LayerInput[] {
  return Array.isArray(spec.layers) ? [...spec.layers] : [];
}

/** The index of the layer whose units are the class scores: the last layer when it is dense, else null. */
export function outputLayerIndex(spec: ModelSpecInput): number | null {
  const layers = layersOf(spec);
  return layers.at(-1)?.kind === "dense" ? layers.length - 1 : null;
}

/** `spec` with its dense output layer sized to `classes` units, so a new dataset needs no manual fix. */
function withOutputUnits(spec: ModelSpecInput, classes: number): ModelSpecInput {
  const at = outputLayerIndex(spec);
  if (at === null) return spec;
  const layers = layersOf(spec);
  const output = layers[at] as LayerInput & { units?: unknown };
  if (output.units === classes) return spec;
  layers[at] = { ...output, units: classes } as LayerInput;
  return { ...spec, layers };
}

/** `s` with `edit` applied to its spec; `s` itself when the edit changes nothing, so no undo step is recorded. */
function withSpecEdit(s: Studio, edit: SpecEdit): Studio {
  const spec = applyEdit(s.spec, edit);
  return JSON.stringify(spec.layers) === JSON.stringify(s.spec.layers) ? s : { ...s, spec };
}

/** Every command of the builder, keyed by name. */
export const COMMANDS = {
  addLayer: {
    name: "addLayer",
    label: ({ kind }) => `add ${kind}`,
    perform: (s, { kind, at }) => {
      // Without a position, before the output layer (or, for image layers, before the flatten), so the model stays valid.
      const where = at ?? insertionIndex(s.spec, kind);
      return { ...s, spec: applyEdit(s.spec, { op: "insertLayer", at: where, layer: NEW_LAYER[kind] }) };
    },
  } satisfies Command<{ kind: LayerKind; at?: number }>,
  removeLayer: {
    name: "removeLayer",
    label: ({ at }) => `remove layer ${at + 1}`,
    perform: (s, { at }) => ({ ...s, spec: applyEdit(s.spec, { op: "removeLayer", at }) }),
  } satisfies Command<{ at: number }>,
  moveLayer: {
    name: "moveLayer",
    label: ({ from, to }) => `move layer ${from + 1} to ${to + 1}`,
    perform: (s, { from, to }) => {
      const layers = layersOf(s.spec);
      if (from < 0 || from >= layers.length || to < 0 || to >= layers.length || from === to) return s;
      const [moved] = layers.splice(from, 1);
      layers.splice(to, 0, moved!);
      return { ...s, spec: { ...s.spec, layers } };
    },
  } satisfies Command<{ from: number; to: number }>,
  connect: {
    name: "connect",
    label: ({ from, to, merge }) =>
      `connect ${from < 0 ? "the input" : `layer ${from + 1}`} to layer ${to + 1}${merge ? ` (${merge})` : ""}`,
    perform: (s, { from, to, merge }) =>
      withSpecEdit(s, merge ? { op: "connect", from, to, merge } : { op: "connect", from, to }),
  } satisfies Command<{ from: number; to: number; merge?: "add" | "concat" }>,
  disconnect: {
    name: "disconnect",
    label: ({ from, to }) => `disconnect ${from < 0 ? "the input" : `layer ${from + 1}`} from layer ${to + 1}`,
    perform: (s, { from, to }) => withSpecEdit(s, { op: "disconnect", from, to }),
  } satisfies Command<{ from: number; to: number }>,
  setParam: {
    name: "setParam",
    label: ({ layer, field }) => `set ${field} of layer ${layer + 1}`,
    perform: (s, { layer, field, value }) => ({
      ...s,
      spec: applyEdit(s.spec, { op: "setField", layer, field, value }),
    }),
  } satisfies Command<{ layer: number; field: string; value: unknown }>,
  applyFix: {
    name: "applyFix",
    label: ({ fix }) => fix,
    perform: (s, { edit }) => ({ ...s, spec: applyEdit(s.spec, edit) }),
  } satisfies Command<{ edit: SpecEdit; fix: string }>,
  loadTemplate: {
    name: "loadTemplate",
    label: ({ id }) => `template ${TEMPLATES[id].name}`,
    // The model changes; the training settings are the user's and stay (the template's are offered, not forced).
    perform: (s, { id }) => ({ ...s, spec: buildTemplate(id, datasetFacts(s.dataset)) }),
  } satisfies Command<{ id: TemplateId }>,
  applyTemplateSettings: {
    name: "applyTemplateSettings",
    label: ({ id }) => `training settings of ${TEMPLATES[id].name}`,
    perform: (s, { id }) => ({ ...s, config: { ...s.config, ...(TEMPLATES[id].suggestedConfig ?? {}) } }),
  } satisfies Command<{ id: TemplateId }>,
  importSpec: {
    name: "importSpec",
    label: () => "import spec",
    perform: (s, { spec }) => ({ ...s, spec }),
  } satisfies Command<{ spec: ModelSpecInput }>,
  loadStudio: {
    name: "loadStudio",
    label: () => "open a setup",
    perform: (_s, { studio }) => studio,
  } satisfies Command<{ studio: Studio }>,
  setConfigField: {
    name: "setConfigField",
    label: ({ field }) => `set ${field}`,
    perform: (s, { field, value }) => ({
      ...s,
      config: applyConfigEdit(s.config, { op: "setConfigField", field, value }),
    }),
  } satisfies Command<{ field: string; value: unknown }>,
  setDataset: {
    name: "setDataset",
    label: () => "change dataset",
    perform: (s, { dataset }) => {
      // The model follows the data: input shape, class names and the output layer's units are the dataset's.
      const facts = datasetFacts(dataset);
      const spec = { ...s.spec, input: { shape: [...facts.inputShape] }, classes: [...facts.classes] };
      return { ...s, dataset, spec: withOutputUnits(spec, facts.classes.length) };
    },
  } satisfies Command<{ dataset: DatasetChoice }>,
};

/** Names of the registered commands. */
export type CommandName = keyof typeof COMMANDS;
/** The argument a command takes. */
export type CommandArg<N extends CommandName> = Parameters<(typeof COMMANDS)[N]["perform"]>[1];

/** Past and future studios around the present one. */
export interface History {
  past: Studio[];
  present: Studio;
  future: Studio[];
  /** Labels of the commands that produced each past entry's successor, for undo tooltips. */
  labels: string[];
}

/** Undo depth kept; older steps are dropped. */
export const HISTORY_LIMIT = 200;

/** A history holding only `present`. */
export function startHistory(present: Studio): History {
  return { past: [], present, future: [], labels: [] };
}

/** Runs command `name` and records the step; a command that changes nothing records nothing. */
export function dispatch<N extends CommandName>(h: History, name: N, arg: CommandArg<N>): History {
  const command = COMMANDS[name] as unknown as Command<CommandArg<N>>;
  const next = command.perform(h.present, arg);
  if (next === h.present) return h;
  return {
    past: [...h.past, h.present].slice(-HISTORY_LIMIT),
    present: next,
    future: [],
    labels: [...h.labels, command.label(arg)].slice(-HISTORY_LIMIT),
  };
}

/** Steps back one command, if any. */
export function undo(h: History): History {
  const previous = h.past[h.past.length - 1];
  if (!previous) return h;
  return {
    past: h.past.slice(0, -1),
    present: previous,
    future: [h.present, ...h.future],
    labels: h.labels.slice(0, -1),
  };
}

/** Steps forward one undone command, if any. */
export function redo(h: History): History {
  const next = h.future[0];
  if (!next) return h;
  return { past: [...h.past, h.present], present: next, future: h.future.slice(1), labels: [...h.labels, "redo"] };
}
