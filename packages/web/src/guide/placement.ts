/** A box in viewport pixels. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Which side of its control a card sits on; "over" when no side had room and it sits at the window's foot. */
export type Side = "bottom" | "top" | "right" | "left" | "over";

/** Where a card goes: its top-left corner in viewport pixels, and the side of the control it sits on. */
export interface Placement {
  left: number;
  top: number;
  side: Side;
}

/** Room kept between the card and the window's edges, and between the card and its control. */
const MARGIN = 8;
const GAP = 10;

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(v, Math.max(lo, hi)));
}

/**
 * Places a `card` next to `target` without covering it, inside a window of
 * `view` size whose top `topInset` pixels belong to a sticky header: below
 * the target if it fits, else right of it, above, left; failing all, at the
 * window's foot. A missing target puts the card at the foot too.
 */
export function placeCard(
  target: Box | null,
  card: { width: number; height: number },
  view: { width: number; height: number },
  topInset = 0,
): Placement {
  const minTop = topInset + MARGIN;
  const maxTop = view.height - MARGIN - card.height;
  const maxLeft = view.width - MARGIN - card.width;
  const foot: Placement = {
    left: clamp((view.width - card.width) / 2, MARGIN, maxLeft),
    top: clamp(maxTop, minTop, maxTop),
    side: "over",
  };
  if (!target) return foot;
  const right = target.left + target.width;
  const bottom = target.top + target.height;
  const alignedLeft = clamp(target.left, MARGIN, maxLeft);
  const alignedTop = clamp(target.top, minTop, maxTop);
  // Beside a small control before above it: a card to its right hides less of what comes before it.
  const candidates: Placement[] = [
    // A control in the sticky header has its card just below the header.
    { side: "bottom", left: alignedLeft, top: Math.max(bottom + GAP, minTop) },
    { side: "right", left: right + GAP, top: alignedTop },
    { side: "top", left: alignedLeft, top: target.top - GAP - card.height },
    { side: "left", left: target.left - GAP - card.width, top: alignedTop },
  ];
  const fits = (p: Placement) => p.top >= minTop && p.top <= maxTop && p.left >= MARGIN && p.left <= maxLeft;
  return candidates.find(fits) ?? foot;
}
