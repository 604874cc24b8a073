import { TEMPLATES, type TemplateId, TrainingConfig, type TrainingConfigInput } from "@layerlab/spec";
import { type ConfigField, configForm } from "../train/configFields";
import { diffSetups } from "./configDiff";

/** One training setting a template suggests that differs from the user's. */
export interface SettingChange {
  /** Dotted config path, e.g. "optimizer.momentum". */
  path: string;
  /** The form's name for it, e.g. "Learning rate". */
  label: string;
  yours: string;
  suggested: string;
}

const FORM = configForm();
const FIELDS: ConfigField[] = [
  ...FORM.main,
  FORM.optimizer.field,
  ...Object.values(FORM.optimizer.byName).flat(),
  FORM.schedule.field,
  ...Object.values(FORM.schedule.byName).flat(),
  ...FORM.augmentation,
];

function labelOf(path: string): string {
  return FIELDS.find((f) => f.path === path)?.label ?? path;
}

/** The config with defaults filled when it parses (so "adam" and {name: "adam"} compare equal), else as given. */
function filled(config: TrainingConfigInput): unknown {
  return TrainingConfig.safeParse(config).data ?? config;
}

/** The settings template `id` suggests that differ from `config`, in the form's words; empty when none do. */
export function templateSettingChanges(config: TrainingConfigInput, id: TemplateId): SettingChange[] {
  const suggested = { ...config, ...(TEMPLATES[id].suggestedConfig ?? {}) };
  return diffSetups([filled(config), filled(suggested)]).map(({ path, values }) => ({
    path,
    label: labelOf(path),
    yours: values[0]!,
    suggested: values[1]!,
  }));
}

/** The settings a learner most often means to keep, in words: "5 epochs · batch size 64 · adam · learning rate 0.001". */
export function keptSettingsSummary(config: TrainingConfigInput): string {
  const c = TrainingConfig.safeParse(config).data;
  if (!c) return "your training settings";
  const epochs = `${c.epochs} epoch${c.epochs === 1 ? "" : "s"}`;
  return [epochs, `batch size ${c.batchSize}`, c.optimizer.name, `learning rate ${c.learningRate}`].join(" · ");
}
