import { SHAPE_KINDS, SHAPES_DEFAULTS, type ShapeKind } from "@layerlab/data-core";
import type { TemplateData } from "@layerlab/spec";

/** The synthetic shapes, generated in the page: no server needed. */
export interface ShapesChoice {
  kind: "shapes";
  shapes: ShapeKind[];
  size: number;
  countPerClass: number;
  seed: number;
}

/** A dataset the server holds (built-in or uploaded), with the facts the builder needs. */
export interface ServerChoice {
  kind: "server";
  id: string;
  shape: [number, number, number];
  classes: string[];
}

/** Which data the studio trains on. */
export type DatasetChoice = ShapesChoice | ServerChoice;

/**
 * The server's built-in "shapes", generated in the page: the same generator and options, so the same bytes,
 * and a run trained on either is a run on one dataset (registered, compared and deduplicated as such).
 * 2,400 training images: an MLP trains an epoch in the page in about a second.
 */
export const DEFAULT_DATASET: ShapesChoice = {
  kind: "shapes",
  shapes: [...SHAPES_DEFAULTS.shapes],
  size: SHAPES_DEFAULTS.size,
  countPerClass: SHAPES_DEFAULTS.countPerClass,
  seed: SHAPES_DEFAULTS.seed,
};

/** What makes `choice` differ from the server's built-in "shapes", in words; empty when it is that dataset. */
export function differencesFromBuiltinShapes(choice: ShapesChoice): string[] {
  const d = DEFAULT_DATASET;
  return [
    choice.shapes.join() !== d.shapes.join() &&
      `shapes ${choice.shapes.join("/")} (the server's: ${d.shapes.join("/")})`,
    choice.size !== d.size && `${choice.size}px (the server's: ${d.size}px)`,
    choice.countPerClass !== d.countPerClass &&
      `${choice.countPerClass} images per class (the server's: ${d.countPerClass})`,
    choice.seed !== d.seed && `seed ${choice.seed} (the server's: ${d.seed})`,
  ].filter((x): x is string => typeof x === "string");
}

/** Input shape and class names of a dataset choice, as templates take them. */
export function datasetFacts(choice: DatasetChoice): TemplateData {
  if (choice.kind === "shapes") return { inputShape: [1, choice.size, choice.size], classes: [...choice.shapes] };
  return { inputShape: [...choice.shape], classes: [...choice.classes] };
}

/** A short name for a dataset choice. */
export function datasetLabel(choice: DatasetChoice): string {
  if (choice.kind === "shapes") return `shapes (${choice.shapes.length} classes, ${choice.size}px)`;
  return choice.id;
}

/** Whether `v` is a well-formed dataset choice (URLs are untrusted). */
export function isDatasetChoice(v: unknown): v is DatasetChoice {
  if (typeof v !== "object" || v === null) return false;
  const c = v as Record<string, unknown>;
  if (c.kind === "shapes") {
    return (
      Array.isArray(c.shapes) &&
      c.shapes.length >= 2 &&
      c.shapes.every((s) => (SHAPE_KINDS as readonly unknown[]).includes(s)) &&
      Number.isInteger(c.size) &&
      (c.size as number) >= 8 &&
      (c.size as number) <= 256 &&
      Number.isInteger(c.countPerClass) &&
      (c.countPerClass as number) >= 10 &&
      Number.isInteger(c.seed)
    );
  }
  return (
    c.kind === "server" &&
    typeof c.id === "string" &&
    Array.isArray(c.shape) &&
    c.shape.length === 3 &&
    Array.isArray(c.classes) &&
    c.classes.length >= 2
  );
}
