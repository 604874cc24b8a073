import { SHAPE_KINDS, type ShapeKind } from "@layerlab/data-core";
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

/** Small enough to generate and train in a page in seconds, big enough to learn something. */
export const DEFAULT_DATASET: ShapesChoice = {
  kind: "shapes",
  shapes: ["circle", "square", "triangle"],
  size: 28,
  countPerClass: 300,
  seed: 0,
};

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
