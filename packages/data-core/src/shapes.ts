import type { Dataset, ImageSet } from "./dataset";
import { createRng, deriveSeed } from "./rng";

/** The shapes the generator can draw; the first three are the classic set. */
export const SHAPE_KINDS = ["circle", "square", "triangle", "star", "pentagon", "hexagon", "cross", "ring"] as const;
/** One shape class of the synthetic dataset. */
export type ShapeKind = (typeof SHAPE_KINDS)[number];

/** Options of the synthetic shapes dataset; every field has a default. */
export interface ShapesOptions {
  /** Classes to draw, in class-index order. Default circle, square, triangle. */
  shapes?: readonly ShapeKind[];
  /** Side of the square images in pixels (8–256). Default 28. */
  size?: number;
  /** Images per class, train and test together. Default 1000. */
  countPerClass?: number;
  /** Share of each class that goes to the test split. Default 0.2. */
  testFraction?: number;
  /** Standard deviation of added Gaussian pixel noise, as a fraction of full scale (0–1). Default 0.05. */
  noise?: number;
  /** Rotate each shape by a random angle. Default true. */
  rotation?: boolean;
  /** Random colours on a random background (3 channels) instead of white on black greyscale. Default false. */
  color?: boolean;
  /** Same seed, same options → the same bytes. Default 0. */
  seed?: number;
}

/** The defaults of the options a person usually changes: the built-in "shapes" dataset is the generator with these. */
export const SHAPES_DEFAULTS = {
  shapes: ["circle", "square", "triangle"] as readonly ShapeKind[],
  size: 28,
  countPerClass: 1000,
  seed: 0,
} as const;

type Point = readonly [number, number];

function regularPolygon(sides: number, radius: number, angle: number, inner = 0): Point[] {
  const star = inner > 0;
  const count = star ? sides * 2 : sides;
  return Array.from({ length: count }, (_, i) => {
    const r = star && i % 2 === 1 ? inner : radius;
    const a = angle - Math.PI / 2 + (i * 2 * Math.PI) / count;
    return [r * Math.cos(a), r * Math.sin(a)] as const;
  });
}

/** Even–odd point-in-polygon (works for the non-convex star). */
function insidePolygon(x: number, y: number, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    // Indexing, not destructuring: this runs 16 times a pixel, and an array destructure walks an iterator.
    const xi = poly[i]![0];
    const yi = poly[i]![1];
    const xj = poly[j]![0];
    const yj = poly[j]![1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** An inside-test in shape-local coordinates (origin at the centre, already rotated). */
function shapeTest(kind: ShapeKind, r: number): (u: number, v: number) => boolean {
  switch (kind) {
    case "circle":
      return (u, v) => u * u + v * v <= r * r;
    case "ring":
      return (u, v) => {
        const d2 = u * u + v * v;
        return d2 <= r * r && d2 >= (0.55 * r) ** 2;
      };
    case "square": {
      const h = r * 0.8;
      return (u, v) => Math.abs(u) <= h && Math.abs(v) <= h;
    }
    case "cross": {
      const arm = r * 0.3;
      return (u, v) => (Math.abs(u) <= arm && Math.abs(v) <= r) || (Math.abs(v) <= arm && Math.abs(u) <= r);
    }
    case "triangle": {
      const poly = regularPolygon(3, r, 0);
      return (u, v) => insidePolygon(u, v, poly);
    }
    case "pentagon": {
      const poly = regularPolygon(5, r, 0);
      return (u, v) => insidePolygon(u, v, poly);
    }
    case "hexagon": {
      const poly = regularPolygon(6, r, 0);
      return (u, v) => insidePolygon(u, v, poly);
    }
    case "star": {
      const poly = regularPolygon(5, r, 0, r * 0.45);
      return (u, v) => insidePolygon(u, v, poly);
    }
  }
}

function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

const SUPERSAMPLE = 4;
/**
 * How far from its centre, in radii, each shape reaches: its circumscribed circle (the square's corners
 * 0.8·√2, the cross's arm ends √(1 + 0.3²), a regular polygon's or the star's outer vertices 1).
 */
const REACH: Record<ShapeKind, number> = {
  circle: 1,
  ring: 1,
  square: 0.8 * Math.SQRT2,
  cross: Math.hypot(1, 0.3),
  triangle: 1,
  pentagon: 1,
  hexagon: 1,
  star: 1,
};

/**
 * The radius, in radii, of a disc about the centre that lies wholly inside each shape (the inscribed circle:
 * the square's half-side 0.8, a regular polygon's apothem cos(π/n)); 0 for the ring and the star, whose
 * centres are empty or whose inscribed circle is not worth working out.
 */
const SOLID_CORE: Record<ShapeKind, number> = {
  circle: 1,
  square: 0.8,
  cross: 0.3,
  triangle: Math.cos(Math.PI / 3),
  pentagon: Math.cos(Math.PI / 5),
  hexagon: Math.cos(Math.PI / 6),
  ring: 0,
  star: 0,
};
/** Kept between a pixel's samples and a shape's reach or core, far above any rounding of the inside-tests. */
const EDGE_MARGIN = 1e-6;

/**
 * Draws one shape into `out` (`[C, size, size]` bytes) from its own seed: a random size,
 * position and angle, anti-aliased by 4×4 supersampling, then optional Gaussian noise.
 */
export function drawShape(
  kind: ShapeKind,
  out: Uint8Array,
  size: number,
  channels: 1 | 3,
  seed: number,
  opts: ShapesOptions,
): void {
  const rng = createRng(seed);
  const radius = size * (0.22 + rng() * 0.2);
  const cx = radius + rng() * (size - 2 * radius);
  const cy = radius + rng() * (size - 2 * radius);
  const angle = opts.rotation === false ? 0 : rng() * 2 * Math.PI;
  const fg: number[] = [];
  const bg: number[] = [];
  for (let c = 0; c < channels; c++) {
    if (channels === 3) {
      // Keep the shape readable: foreground and background differ by at least 96 levels per channel.
      const back = Math.floor(rng() * 160);
      bg.push(back);
      fg.push(
        rng() < 0.5 && back > 96 ? Math.floor(rng() * (back - 95)) : back + 96 + Math.floor(rng() * (160 - back)),
      );
    } else {
      bg.push(0);
      fg.push(180 + Math.floor(rng() * 76));
    }
  }
  const inside = shapeTest(kind, radius);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const noise = (opts.noise ?? 0.05) * 255;
  const plane = size * size;
  // A shape lies within REACH × radius of its centre, and a pixel's samples within √½ of the pixel's centre:
  // a pixel further out than both is empty without testing its samples.
  const far = (REACH[kind] * radius + Math.SQRT1_2 + EDGE_MARGIN) ** 2;
  // Likewise a pixel whose samples all lie in the shape's solid core is covered without testing them.
  const coreReach = SOLID_CORE[kind] * radius - Math.SQRT1_2 - EDGE_MARGIN;
  const core = coreReach > 0 ? coreReach ** 2 : -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const d2 = dx * dx + dy * dy;
      if (d2 <= core) hits = SUPERSAMPLE * SUPERSAMPLE;
      else if (d2 <= far)
        for (let sy = 0; sy < SUPERSAMPLE; sy++) {
          for (let sx = 0; sx < SUPERSAMPLE; sx++) {
            const px = x + (sx + 0.5) / SUPERSAMPLE - cx;
            const py = y + (sy + 0.5) / SUPERSAMPLE - cy;
            if (inside(cos * px + sin * py, -sin * px + cos * py)) hits++;
          }
        }
      const coverage = hits / (SUPERSAMPLE * SUPERSAMPLE);
      for (let c = 0; c < channels; c++) {
        const v = bg[c]! + coverage * (fg[c]! - bg[c]!) + (noise > 0 ? gaussian(rng) * noise : 0);
        out[c * plane + y * size + x] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
}

function shapeSplit(
  kinds: readonly ShapeKind[],
  perClass: number,
  splitId: number,
  size: number,
  channels: 1 | 3,
  opts: ShapesOptions,
): ImageSet {
  const count = perClass * kinds.length;
  const bytes = channels * size * size;
  const images = new Uint8Array(count * bytes);
  const labels = new Uint8Array(count);
  const seed = opts.seed ?? SHAPES_DEFAULTS.seed;
  // Classes interleave (image i has class i mod K), so any prefix of the set is balanced.
  for (let i = 0; i < count; i++) {
    const label = i % kinds.length;
    labels[i] = label;
    drawShape(
      kinds[label]!,
      images.subarray(i * bytes, (i + 1) * bytes),
      size,
      channels,
      deriveSeed(seed, 4, splitId, i),
      opts,
    );
  }
  return { images, labels, count };
}

/** Checks shapes options and names the field and the fix when one is out of range. */
export function validateShapesOptions(opts: ShapesOptions): void {
  const size = opts.size ?? SHAPES_DEFAULTS.size;
  if (!Number.isInteger(size) || size < 8 || size > 256)
    throw new Error(`shapes: size must be an integer from 8 to 256, got ${size}`);
  const per = opts.countPerClass ?? SHAPES_DEFAULTS.countPerClass;
  if (!Number.isInteger(per) || per < 2 || per > 100_000) {
    throw new Error(`shapes: countPerClass must be an integer from 2 to 100000, got ${per}`);
  }
  const tf = opts.testFraction ?? 0.2;
  if (!(tf > 0 && tf < 1)) throw new Error(`shapes: testFraction must be between 0 and 1 (exclusive), got ${tf}`);
  const noise = opts.noise ?? 0.05;
  if (!(noise >= 0 && noise <= 1)) throw new Error(`shapes: noise must be between 0 and 1, got ${noise}`);
  const kinds = opts.shapes ?? SHAPES_DEFAULTS.shapes;
  if (kinds.length < 2) throw new Error("shapes: pick at least 2 shapes, e.g. circle, square, triangle");
  const unknown = kinds.filter((k) => !(SHAPE_KINDS as readonly string[]).includes(k));
  if (unknown.length)
    throw new Error(`shapes: unknown shape ${unknown.join(", ")}; choose from ${SHAPE_KINDS.join(", ")}`);
  if (new Set(kinds).size !== kinds.length) throw new Error("shapes: each shape may be listed once");
}

/** The synthetic shapes dataset (deterministic under its seed), generated in memory. */
export function generateShapes(opts: ShapesOptions = {}): Dataset {
  validateShapesOptions(opts);
  const kinds = opts.shapes ?? SHAPES_DEFAULTS.shapes;
  const size = opts.size ?? SHAPES_DEFAULTS.size;
  const channels = opts.color ? 3 : 1;
  const perClass = opts.countPerClass ?? SHAPES_DEFAULTS.countPerClass;
  const testPerClass = Math.max(1, Math.round(perClass * (opts.testFraction ?? 0.2)));
  return {
    name: "shapes",
    shape: [channels, size, size],
    classes: [...kinds],
    train: shapeSplit(kinds, perClass - testPerClass, 0, size, channels, opts),
    test: shapeSplit(kinds, testPerClass, 1, size, channels, opts),
    allowsHorizontalFlip: true,
    description: `Synthetic shapes: ${kinds.join(", ")} drawn at random sizes, positions${opts.rotation === false ? "" : " and angles"} on ${size}×${size} ${channels === 3 ? "colour" : "greyscale"} images with Gaussian noise, ${perClass} per class (${testPerClass} of them for testing), generated from seed ${opts.seed ?? SHAPES_DEFAULTS.seed}, so training starts without any download.`,
  };
}
