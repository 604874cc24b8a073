import type { DecodeTarget, ImageInfo, ResizeFit } from "./decode";

/** Largest side kept as is when every image shares one size; larger images are shrunk to `DEFAULT_IMAGE_SIDE`. */
export const MAX_NATIVE_IMAGE_SIDE = 128;
/** Smallest side an import decodes to (and the smallest own size kept). */
export const MIN_IMAGE_SIDE = 4;
/** Side of the square images are fitted to when they differ in size or are too large or small to keep. */
export const DEFAULT_IMAGE_SIDE = 64;

/** Why the decoded size is what it is. */
export type SizeReason = "requested" | "own-size" | "mixed-sizes" | "too-large" | "too-small";
/** Why the decoded images have 1 or 3 channels. */
export type ChannelsReason = "requested" | "all-greyscale" | "colour";

/** What the headers of the images read so far say; grows as an import reads more images. */
export interface ImageSurvey {
  /** The first image read. */
  first: ImageInfo | null;
  /** The first image whose size differs from `first`'s, if any. */
  differing: ImageInfo | null;
  /** True once any image is in colour. */
  colour: boolean;
}

/** The size and colour an import decodes to, and why. */
export interface DecodeChoice {
  target: DecodeTarget;
  sizeReason: SizeReason;
  channelsReason: ChannelsReason;
}

/** The size/colour options a caller may force; unset ones are chosen from the images. */
export interface DecodeRequest {
  size?: number;
  channels?: 1 | 3;
  fit?: ResizeFit;
}

/** A survey before any image is read. */
export function emptySurvey(): ImageSurvey {
  return { first: null, differing: null, colour: false };
}

/** Adds one image's header to the survey (in place). */
export function observeImage(survey: ImageSurvey, info: ImageInfo): void {
  if (!info.greyscale) survey.colour = true;
  if (!survey.first) survey.first = info;
  else if (!survey.differing && (info.width !== survey.first.width || info.height !== survey.first.height))
    survey.differing = info;
}

function sizeOf(request: DecodeRequest, survey: ImageSurvey): { width: number; height: number; reason: SizeReason } {
  if (request.size !== undefined) return { width: request.size, height: request.size, reason: "requested" };
  const fallback = (reason: SizeReason) => ({ width: DEFAULT_IMAGE_SIDE, height: DEFAULT_IMAGE_SIDE, reason });
  const first = survey.first;
  if (!first || survey.differing) return fallback("mixed-sizes");
  if (Math.max(first.width, first.height) > MAX_NATIVE_IMAGE_SIDE) return fallback("too-large");
  if (Math.min(first.width, first.height) < MIN_IMAGE_SIDE) return fallback("too-small");
  return { width: first.width, height: first.height, reason: "own-size" };
}

/**
 * The decode target for the images surveyed: the images' own size when they all share one between
 * `MIN_IMAGE_SIDE` and `MAX_NATIVE_IMAGE_SIDE`, else `DEFAULT_IMAGE_SIDE` square; greyscale when every image
 * is, else RGB. Options the caller set win.
 */
export function chooseDecodeTarget(request: DecodeRequest, survey: ImageSurvey): DecodeChoice {
  const { width, height, reason } = sizeOf(request, survey);
  const channels = request.channels ?? (survey.colour ? 3 : 1);
  const channelsReason: ChannelsReason =
    request.channels !== undefined ? "requested" : survey.colour ? "colour" : "all-greyscale";
  return { target: { width, height, channels, fit: request.fit ?? "contain" }, sizeReason: reason, channelsReason };
}

/** Whether two targets decode to the same pixels layout. */
export function sameTarget(a: DecodeTarget, b: DecodeTarget): boolean {
  return a.width === b.width && a.height === b.height && a.channels === b.channels && a.fit === b.fit;
}

const dims = (i: { width: number; height: number }) => `${i.width}×${i.height}`;

/**
 * The choice in words, e.g. "32×32 RGB (the images' own size)" or "64×64 greyscale (the images differ in size,
 * e.g. 40×30 and 50×50, so each is fitted to the default 64×64)".
 */
export function describeDecodeChoice(choice: DecodeChoice, survey: ImageSurvey): string {
  const { target } = choice;
  const colour = target.channels === 1 ? "greyscale" : "RGB";
  const fitted = `so each is fitted (${target.fit}) to the default ${dims(target)}`;
  let why: string;
  switch (choice.sizeReason) {
    case "requested":
      why = "the size asked for";
      break;
    case "own-size":
      why = "the images' own size";
      break;
    case "mixed-sizes":
      why =
        survey.first && survey.differing
          ? `the images differ in size, e.g. ${dims(survey.first)} and ${dims(survey.differing)}, ${fitted}`
          : `no image size was readable, so the default ${dims(target)}`;
      break;
    case "too-large":
      why = `the images are ${dims(survey.first!)}, larger than ${MAX_NATIVE_IMAGE_SIDE}×${MAX_NATIVE_IMAGE_SIDE}, ${fitted}`;
      break;
    case "too-small":
      why = `the images are ${dims(survey.first!)}, smaller than ${MIN_IMAGE_SIDE}×${MIN_IMAGE_SIDE}, ${fitted}`;
      break;
  }
  return `${dims(target)} ${colour} (${why})`;
}
