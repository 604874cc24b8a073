import { TrainingConfig, type TrainingConfigInput } from "./config";
import { describeIssue, formatPath, valueAt, withoutEchoes } from "./issues";
import { errorProblem, hasErrors, type Problem, warningProblem } from "./problems";

/** A one-click fix of a training config: set the field at a dotted path (`"optimizer.momentum"`). */
export type ConfigEdit = { op: "setConfigField"; field: string; value: unknown };

/** A problem of a training config; its `layer` is always null. */
export type ConfigProblem = Problem<ConfigEdit>;

/** The outcome of `validateConfig`. */
export interface ConfigValidation {
  /** True when there are no errors (warnings allowed). */
  ok: boolean;
  /** The config with every default filled, or null when it does not parse. */
  config: TrainingConfig | null;
  problems: ConfigProblem[];
}

/** What the config is checked against besides itself. */
export interface ConfigContext {
  /** Samples in the training set before the validation split, when known. */
  trainSamples?: number;
}

/**
 * Applies a config edit and returns a new config; `config` is left untouched.
 * A bare name on the way (`"optimizer": "sgd"`) becomes `{name: "sgd"}`, so
 * `optimizer.momentum` can be set on it.
 */
export function applyConfigEdit(config: TrainingConfigInput, edit: ConfigEdit): TrainingConfigInput {
  const keys = edit.field.split(".");
  const set = (node: unknown, depth: number): Record<string, unknown> => {
    const base: Record<string, unknown> =
      typeof node === "string"
        ? { name: node }
        : typeof node === "object" && node !== null && !Array.isArray(node)
          ? { ...(node as Record<string, unknown>) }
          : {};
    const key = keys[depth]!;
    if (depth === keys.length - 1) base[key] = edit.value;
    else base[key] = set(base[key], depth + 1);
    return base;
  };
  return set(config, 0) as TrainingConfigInput;
}

/**
 * Parses a training config with defaults filled and checks the fields that
 * only make sense together. Never throws: every problem names its field and
 * the fix, and most carry a one-click `ConfigEdit`.
 */
export function validateConfig(input: unknown, context: ConfigContext = {}): ConfigValidation {
  if (input !== undefined && input !== null && (typeof input !== "object" || Array.isArray(input))) {
    const notObject = errorProblem<ConfigEdit>({
      layer: null,
      field: null,
      what: "the training config must be an object",
      fix: 'write it as an object such as {"optimizer":"adam","epochs":5}, or leave it empty for the defaults',
    });
    return { ok: false, config: null, problems: [notObject] };
  }
  // No config at all means every default.
  const parsed = TrainingConfig.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = withoutEchoes(parsed.error.issues).map((issue): ConfigProblem => {
      const field = formatPath(issue.path);
      const found = describeIssue(issue, valueAt(input, issue.path), field, "");
      return errorProblem({ layer: null, field: field || null, ...found });
    });
    return { ok: false, config: null, problems };
  }
  const config = parsed.data;
  const problems = crossFieldProblems(config, context);
  return { ok: !hasErrors(problems), config, problems };
}

function crossFieldProblems(config: TrainingConfig, context: ConfigContext): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { optimizer, schedule, epochs } = config;

  if (optimizer.name === "sgd" && optimizer.nesterov && optimizer.momentum === 0) {
    problems.push(
      errorProblem({
        layer: null,
        field: "optimizer.nesterov",
        what: "optimizer.nesterov is on but optimizer.momentum is 0, and Nesterov momentum needs momentum",
        fix: "set optimizer.momentum to 0.9, or turn nesterov off",
        autofix: { op: "setConfigField", field: "optimizer.momentum", value: 0.9 },
      }),
    );
  }
  if (optimizer.name === "adamw" && config.weightDecay === 0) {
    problems.push(
      warningProblem({
        layer: null,
        field: "weightDecay",
        what: "AdamW with weightDecay 0 is plain Adam",
        fix: "set weightDecay (1e-4 to 1e-2 is usual), or use adam",
        autofix: { op: "setConfigField", field: "weightDecay", value: 0.01 },
      }),
    );
  }

  if (schedule.warmupEpochs >= epochs) {
    const suggested = Math.max(0, Math.min(epochs - 1, Math.ceil(epochs / 10)));
    problems.push(
      errorProblem({
        layer: null,
        field: "schedule.warmupEpochs",
        what: `schedule.warmupEpochs is ${schedule.warmupEpochs} but the run has only ${epochs} epoch${epochs === 1 ? "" : "s"}, so the learning rate never reaches its value`,
        fix: `set schedule.warmupEpochs below ${epochs} (e.g. ${suggested})`,
        autofix: { op: "setConfigField", field: "schedule.warmupEpochs", value: suggested },
      }),
    );
  }
  if (schedule.name === "step" && schedule.milestones.length === 0) {
    // Half and three quarters of the run, the usual places; a 1-epoch run has no epoch to decay after.
    const suggested = [...new Set([Math.ceil(epochs / 2), Math.ceil((epochs * 3) / 4)])].filter((m) => m < epochs);
    problems.push(
      warningProblem({
        layer: null,
        field: "schedule.milestones",
        what: "the step schedule has no milestones, so the learning rate never changes",
        fix:
          suggested.length > 0
            ? `set milestones, e.g. ${suggested.join(", ")} (the epochs after which the rate is multiplied by gamma)`
            : "train for more than one epoch and set milestones, or use the constant schedule",
        ...(suggested.length > 0 && {
          autofix: { op: "setConfigField", field: "schedule.milestones", value: suggested } as const,
        }),
      }),
    );
  }
  if (schedule.name === "step") {
    const ms = schedule.milestones;
    const cleaned = [...new Set(ms)].filter((m) => m < epochs).sort((a, b) => a - b);
    const fixMilestones = { op: "setConfigField", field: "schedule.milestones", value: cleaned } as const;
    const increasing = ms.every((m, i) => i === 0 || m > ms[i - 1]!);
    if (!increasing) {
      problems.push(
        warningProblem({
          layer: null,
          field: "schedule.milestones",
          what: `schedule.milestones [${ms.join(",")}] are not strictly increasing`,
          fix: `sort them and drop repeats: [${cleaned.join(",")}]`,
          autofix: fixMilestones,
        }),
      );
    }
    const late = ms.filter((m) => m >= epochs);
    if (late.length > 0) {
      problems.push(
        warningProblem({
          layer: null,
          field: "schedule.milestones",
          what: `schedule.milestones ${late.join(", ")} ${late.length === 1 ? "is" : "are"} not before the last epoch (${epochs}), so ${late.length === 1 ? "it never takes" : "they never take"} effect`,
          fix: `use milestones below ${epochs}, or train for more epochs`,
          autofix: fixMilestones,
        }),
      );
    }
  }

  if (config.earlyStopping !== null && config.validationSplit === 0) {
    problems.push(
      errorProblem({
        layer: null,
        field: "earlyStopping",
        what: "earlyStopping watches the validation set, but validationSplit is 0 so there is none",
        fix: "set validationSplit to 0.1, or turn early stopping off",
        autofix: { op: "setConfigField", field: "validationSplit", value: 0.1 },
      }),
    );
  }

  const samples = context.trainSamples;
  if (samples !== undefined && Number.isFinite(samples) && samples >= 0) {
    const trained = Math.floor(samples * (1 - config.validationSplit));
    if (trained < 1) {
      problems.push(
        errorProblem({
          layer: null,
          field: "validationSplit",
          what: `no training samples are left after holding out ${config.validationSplit} of ${samples} for validation`,
          fix: "use a larger dataset or a smaller validationSplit",
        }),
      );
    } else if (config.batchSize > trained) {
      const fitting = 2 ** Math.floor(Math.log2(trained));
      const split = config.validationSplit > 0 ? ` after the ${config.validationSplit} validation split` : "";
      problems.push(
        errorProblem({
          layer: null,
          field: "batchSize",
          what: `batchSize ${config.batchSize} is larger than the ${trained} training samples${split}`,
          fix: `set batchSize to ${fitting} or less`,
          autofix: { op: "setConfigField", field: "batchSize", value: fitting },
        }),
      );
    }
  }
  return problems;
}
