import { useCallback, useEffect, useRef, useState } from "react";

/** The attribute a layer card carries so a connection dragged onto it finds its index. */
export const CONNECT_TARGET_ATTR = "data-connect-target";

/** A connection being dragged: from which layer's output (−1: the input), and where the pointer is. */
export interface ConnectDrag {
  from: number;
  /** Where the drag started (the handle's centre), in viewport pixels. */
  startX: number;
  startY: number;
  x: number;
  y: number;
  /** The layer under the pointer that would take the connection, if any. */
  over: number | null;
}

/** The later layer under viewport point (x, y), or null. */
function targetAt(x: number, y: number, from: number): number | null {
  const card = document.elementFromPoint(x, y)?.closest(`[${CONNECT_TARGET_ATTR}]`);
  const index = Number(card?.getAttribute(CONNECT_TARGET_ATTR));
  return card && Number.isInteger(index) && index > from ? index : null;
}

/** How close to the window's top or bottom edge (px) a dragged connection scrolls the page. */
const EDGE_ZONE_PX = 56;
/** The fastest that scrolling goes (px per frame), with the pointer at the very edge. */
const EDGE_SCROLL_MAX_PX = 18;

/**
 * How far to scroll the window this frame for a pointer at viewport height `y`: towards the edge it is near,
 * faster the closer it is, else 0. On a phone a layer card is taller than half the screen, so a later layer
 * is often out of sight, and a finger that is dragging cannot also scroll.
 */
export function edgeScrollStep(y: number, viewportHeight: number): number {
  if (y < EDGE_ZONE_PX) return -Math.ceil((EDGE_SCROLL_MAX_PX * (EDGE_ZONE_PX - Math.max(0, y))) / EDGE_ZONE_PX);
  const fromBottom = viewportHeight - y;
  if (fromBottom < EDGE_ZONE_PX)
    return Math.ceil((EDGE_SCROLL_MAX_PX * (EDGE_ZONE_PX - Math.max(0, fromBottom))) / EDGE_ZONE_PX);
  return 0;
}

/**
 * Dragging a connection from a layer's output handle onto a later layer, with pointer events so mouse, pen
 * and touch all work; held near the window's top or bottom edge it scrolls the page. `onConnect(from, to)`
 * runs when the pointer is let go over a later layer.
 */
export function useConnectDrag(onConnect: (from: number, to: number) => void) {
  const [drag, setDrag] = useState<ConnectDrag | null>(null);
  // Read by the row's native dragstart, which fires before React re-renders: a connection is not a row move.
  const active = useRef(false);
  const origin = useRef<number | null>(null);
  // Where the pointer is, for the frame loop that scrolls near the window's edges.
  const pointerY = useRef(0);
  const connect = useRef(onConnect);
  connect.current = onConnect;

  const start = useCallback((from: number, e: React.PointerEvent<HTMLElement>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.stopPropagation();
    const box = e.currentTarget.getBoundingClientRect();
    active.current = true;
    origin.current = from;
    pointerY.current = e.clientY;
    setDrag({
      from,
      startX: box.left + box.width / 2,
      startY: box.top + box.height / 2,
      x: e.clientX,
      y: e.clientY,
      over: null,
    });
  }, []);

  const dragging = drag !== null;
  useEffect(() => {
    if (!dragging) return;
    const move = (e: PointerEvent) => {
      e.preventDefault();
      pointerY.current = e.clientY;
      setDrag((d) => d && { ...d, x: e.clientX, y: e.clientY, over: targetAt(e.clientX, e.clientY, d.from) });
    };
    const finish = (e: PointerEvent, commit: boolean) => {
      active.current = false;
      const from = origin.current;
      origin.current = null;
      setDrag(null);
      const to = commit && from !== null ? targetAt(e.clientX, e.clientY, from) : null;
      if (from !== null && to !== null) connect.current(from, to);
    };
    const up = (e: PointerEvent) => finish(e, true);
    const cancel = (e: PointerEvent) => finish(e, false);
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      active.current = false;
      origin.current = null;
      setDrag(null);
    };
    // While the pointer rests near an edge, scroll a little every frame.
    let frame = requestAnimationFrame(function scrollNearEdge() {
      const step = edgeScrollStep(pointerY.current, window.innerHeight);
      if (step !== 0) window.scrollBy(0, step);
      frame = requestAnimationFrame(scrollNearEdge);
    });
    // However the page scrolls (that loop, a mouse wheel), the line's start moves with it and the card under
    // the still pointer may change.
    let scrolledTo = window.scrollY;
    const scrolled = () => {
      const moved = window.scrollY - scrolledTo;
      scrolledTo = window.scrollY;
      if (moved !== 0) setDrag((d) => d && { ...d, startY: d.startY - moved, over: targetAt(d.x, d.y, d.from) });
    };
    window.addEventListener("scroll", scrolled, { passive: true });
    window.addEventListener("pointermove", move, { passive: false });
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", cancel);
    window.addEventListener("keydown", onKey);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener("scroll", scrolled);
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", cancel);
      window.removeEventListener("keydown", onKey);
    };
  }, [dragging]);

  return { drag, start, isDragging: () => active.current };
}
