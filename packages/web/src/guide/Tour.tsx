import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { type Box, type Placement, placeCard } from "./placement";
import { markTourSeen, tourSeen } from "./tourSeen";
import { TOUR_STEPS } from "./tourSteps";
import "./tour.css";

/** The page a hash names, as the tour's steps name pages: "" and the builder alias are "build". */
function pageOf(hash: string): string {
  const first = hash.replace(/^#\/?/, "").split(/[?/]/)[0] ?? "";
  return first === "" || first === "builder" ? "build" : first;
}

/** Those of `selectors` that are on the page and laid out (not hidden), in the order given. */
function findTargets(selectors: readonly string[]): HTMLElement[] {
  return selectors.flatMap((selector) => {
    const el = document.querySelector<HTMLElement>(selector);
    return el && el.getClientRects().length > 0 ? [el] : [];
  });
}

function boxOf(el: Element): Box {
  const r = el.getBoundingClientRect();
  return { left: r.left, top: r.top, width: r.width, height: r.height };
}

function sameBoxes(a: Box[], b: Box[]): boolean {
  return (
    a.length === b.length &&
    a.every((box, i) => (["left", "top", "width", "height"] as const).every((k) => Math.abs(box[k] - b[i]![k]) < 0.5))
  );
}

/** Whether `box` lies wholly in the window below a sticky header of height `topInset`. */
function inView(box: Box, topInset: number): boolean {
  return (
    box.top >= topInset && box.left >= 0 && box.top + box.height <= innerHeight && box.left + box.width <= innerWidth
  );
}

/** The bottom edge of the sticky top bar: cards stay below it so they never cover the menu. */
function headerBottom(): number {
  return Math.max(0, document.querySelector(".topbar")?.getBoundingClientRect().bottom ?? 0);
}

/**
 * The boxes of the step's candidate controls that are on the page, followed as
 * the page lays out, scrolls and resizes; the first is scrolled into view once.
 */
function useTargetBoxes(step: number | null): Box[] {
  const [boxes, setBoxes] = useState<Box[]>([]);
  useEffect(() => {
    if (step === null) return;
    const selectors = TOUR_STEPS[step]!.targets;
    let revealed: Element | null = null;
    let frame = 0;
    const measure = () => {
      frame = 0;
      const found = findTargets(selectors);
      const el = found[0];
      if (el && el !== revealed) {
        revealed = el;
        // A control in the sticky top bar is always on screen vertically; at most its row scrolls sideways.
        const inTopBar = el.closest(".topbar") !== null;
        if (!inView(boxOf(el), inTopBar ? 0 : headerBottom())) {
          el.scrollIntoView({ block: inTopBar ? "nearest" : "center", inline: "nearest" });
        }
      }
      const next = found.map(boxOf);
      setBoxes((prev) => (sameBoxes(prev, next) ? prev : next));
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measure();
    // Controls appear later (the dashboard after Start, server datasets after a fetch): look again now and then.
    const poll = setInterval(schedule, 250);
    addEventListener("scroll", schedule, true);
    addEventListener("resize", schedule);
    return () => {
      clearInterval(poll);
      cancelAnimationFrame(frame);
      removeEventListener("scroll", schedule, true);
      removeEventListener("resize", schedule);
    };
  }, [step]);
  return boxes;
}

/**
 * The first-run tour and the header's "Tour" button that restarts it. The
 * tour opens by itself on a browser's first visit to the builder, points at
 * one real control per step, and never blocks the page: it is a non-modal
 * card beside the control, closed by Skip, ✕, Escape, Done, or by going to
 * another page. Closing it is remembered in localStorage.
 */
export function TourLauncher() {
  const [step, setStep] = useState<number | null>(null);
  const stepRef = useRef<number | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const card = useRef<HTMLDivElement>(null);

  const goTo = useCallback((next: number) => {
    stepRef.current = next;
    setStep(next);
    const route = TOUR_STEPS[next]!.route;
    if (pageOf(window.location.hash) !== route) window.location.hash = `#/${route}`;
  }, []);

  const close = useCallback(() => {
    const hadFocus = card.current?.contains(document.activeElement) ?? false;
    stepRef.current = null;
    setStep(null);
    markTourSeen();
    if (hadFocus) button.current?.focus();
  }, []);

  // A first visit that lands on the builder opens the tour.
  useEffect(() => {
    if (!tourSeen() && pageOf(window.location.hash) === "build") {
      stepRef.current = 0;
      setStep(0);
    }
  }, []);

  // Going to another page yourself ends the tour; the tour's own Next/Back move to their step's page first.
  useEffect(() => {
    const onHash = () => {
      const at = stepRef.current;
      if (at !== null && pageOf(window.location.hash) !== TOUR_STEPS[at]!.route) close();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && stepRef.current !== null) close();
    };
    addEventListener("hashchange", onHash);
    addEventListener("keydown", onKey);
    return () => {
      removeEventListener("hashchange", onHash);
      removeEventListener("keydown", onKey);
    };
  }, [close]);

  return (
    <>
      <button
        ref={button}
        type="button"
        className="ghost"
        onClick={() => goTo(0)}
        aria-haspopup="dialog"
        data-testid="tour-start"
        title="A one-minute tour of the first path: build, data, train, test"
      >
        Tour
      </button>
      {step !== null &&
        createPortal(
          <TourCard
            step={step}
            cardRef={card}
            onBack={() => goTo(step - 1)}
            onNext={() => goTo(step + 1)}
            onClose={close}
          />,
          document.body,
        )}
    </>
  );
}

function TourCard(props: {
  step: number;
  cardRef: React.RefObject<HTMLDivElement | null>;
  onBack: () => void;
  onNext: () => void;
  onClose: () => void;
}) {
  const { step, cardRef } = props;
  const { title, body } = TOUR_STEPS[step]!;
  const last = step === TOUR_STEPS.length - 1;
  const candidates = useTargetBoxes(step);
  const [placed, setPlaced] = useState<{ at: Placement; target: Box | null } | null>(null);
  const placement = placed?.at ?? null;
  const target = placed?.target ?? null;

  // The step whose control was already scrolled to make room for the card below it.
  const roomMadeFor = useRef<number | null>(null);
  useLayoutEffect(() => {
    const el = cardRef.current;
    if (!el) return;
    const card = { width: el.offsetWidth, height: el.offsetHeight };
    const top = headerBottom();
    const view = { width: document.documentElement.clientWidth, height: innerHeight };
    // The first candidate wholly on screen that the card fits beside (the whole palette on a wide
    // screen), else the last, most specific one (its templates on a phone).
    const options = candidates.map((box) => ({ box, at: placeCard(box, card, view, top) }));
    const chosen = options.find((o) => o.at.side !== "over" && inView(o.box, top)) ?? options.at(-1);
    const target = chosen?.box ?? null;
    const next = chosen?.at ?? placeCard(null, card, view, top);
    // Above its control the card hides what comes before it: scroll the control up once when that
    // makes room below it (the scroll listener places the card again).
    if (target && (next.side === "top" || next.side === "over") && roomMadeFor.current !== step) {
      roomMadeFor.current = step;
      if (target.height + card.height + 36 <= innerHeight - top) {
        scrollBy({ top: target.top - top - 16 });
      }
    }
    setPlaced((prev) =>
      prev &&
      prev.at.left === next.left &&
      prev.at.top === next.top &&
      prev.at.side === next.side &&
      sameBoxes(prev.target ? [prev.target] : [], target ? [target] : [])
        ? prev
        : { at: next, target },
    );
  });

  // Focus moves into the card once it is placed (a hidden element takes no focus), so keyboard and
  // screen-reader users land on it.
  const shown = placement !== null;
  useEffect(() => {
    if (shown) cardRef.current?.focus({ preventScroll: true });
  }, [shown, cardRef]);

  return (
    <>
      {target && (
        <div
          className="tour-ring"
          aria-hidden="true"
          style={{ left: target.left - 4, top: target.top - 4, width: target.width + 8, height: target.height + 8 }}
        />
      )}
      <div
        ref={cardRef}
        className="tour-card"
        role="dialog"
        aria-modal="false"
        aria-labelledby="tour-title"
        aria-describedby="tour-body"
        tabIndex={-1}
        data-side={placement?.side}
        style={placement ? { left: placement.left, top: placement.top } : { visibility: "hidden" }}
      >
        <div className="tour-head">
          <span className="muted" data-testid="tour-progress">
            Step {step + 1} of {TOUR_STEPS.length}
          </span>
          <button type="button" className="ghost icon" aria-label="Close the tour" onClick={props.onClose}>
            ✕
          </button>
        </div>
        <h2 id="tour-title">{title}</h2>
        <p id="tour-body" aria-live="polite">
          {body}
        </p>
        <div className="tour-actions">
          <button type="button" className="ghost" onClick={props.onClose}>
            Skip tour
          </button>
          <span className="spacer" />
          {step > 0 && (
            <button type="button" onClick={props.onBack}>
              Back
            </button>
          )}
          <button type="button" className="primary" onClick={last ? props.onClose : props.onNext}>
            {last ? "Done" : "Next"}
          </button>
        </div>
      </div>
    </>
  );
}
