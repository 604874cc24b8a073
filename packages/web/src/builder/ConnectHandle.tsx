import { createContext, useContext, useMemo } from "react";
import type { StudioApi } from "../state/useStudio";
import { ConnectMenu } from "./ConnectMenu";
import "./connect.css";
import { type ConnectDrag, useConnectDrag } from "./useConnectDrag";
import { type Wiring, wiringOf } from "./wiring";

/** What every card needs to connect outputs: the builder's wiring and the connection being dragged. */
export interface ConnectState {
  layers: readonly unknown[];
  wiring: Wiring;
  drag: ConnectDrag | null;
  start: (from: number, e: React.PointerEvent<HTMLElement>) => void;
  /** True while a connection is dragged (read by a row's native dragstart, so it does not move the row). */
  isDragging: () => boolean;
}

/** The builder's connection state, provided by the build page. */
export const ConnectContext = createContext<ConnectState | null>(null);

/** The connection state; null outside the build page. */
export function useConnect(): ConnectState | null {
  return useContext(ConnectContext);
}

/** The class a card takes while a connection is dragged: a later layer may take it, and the one under the pointer. */
export function connectTargetClass(connect: ConnectState | null, index: number): string {
  if (!connect?.drag) return "";
  const drag = connect.drag;
  // A layer that takes this output already gains nothing from the drop.
  if (index <= drag.from || connect.wiring.sources[index]?.includes(drag.from)) return "";
  return drag.over === index ? " connect-over" : " connect-candidate";
}

/**
 * The dot on a card's lower edge: drag it onto a later layer to feed this output there as well. Pointer
 * only; the card's "Connect…" button does the same from the keyboard, so the dot is hidden from assistive
 * technology.
 */
export function OutputHandle({ from, label }: { from: number; label: string }) {
  const connect = useConnect();
  if (!connect) return null;
  return (
    <span
      className={`output-handle${connect.drag?.from === from ? " dragging" : ""}`}
      aria-hidden="true"
      title={`Drag onto a later layer to connect ${label}'s output there`}
      data-testid={`output-handle-${from}`}
      onPointerDown={(e) => connect.start(from, e)}
    />
  );
}

/** The line that follows the pointer while a connection is dragged. */
export function ConnectDragLine() {
  const drag = useConnect()?.drag;
  if (!drag) return null;
  return (
    <svg className="connect-drag-line" aria-hidden="true">
      <line x1={drag.startX} y1={drag.startY} x2={drag.x} y2={drag.y} />
      <circle cx={drag.x} cy={drag.y} r={5} />
    </svg>
  );
}

/** Provides the connection state to the cards inside and draws the dragged line. */
export function ConnectProvider(props: { layers: readonly unknown[]; api: StudioApi; children: React.ReactNode }) {
  const { layers, api } = props;
  const wiring = useMemo(() => wiringOf(layers), [layers]);
  const { drag, start, isDragging } = useConnectDrag((from, to) => api.run("connect", { from, to }));
  const state = useMemo(() => ({ layers, wiring, drag, start, isDragging }), [layers, wiring, drag, start, isDragging]);
  return (
    <ConnectContext.Provider value={state}>
      {props.children}
      <ConnectDragLine />
    </ConnectContext.Provider>
  );
}

/** The model's input as the first card: its shape, and connections can start from it (a branch off the image). */
export function ModelInputRow({ shape, api }: { shape: readonly number[] | null; api: StudioApi }) {
  const connect = useConnect();
  if (!connect) return null;
  return (
    <div className="model-input-row" data-testid="model-input">
      <strong>input</strong>
      <span className="shape">{shape ? `[${shape.join(",")}]` : "?"}</span>
      <span className="spacer" />
      {connect.layers.length > 0 && (
        <>
          <ConnectMenu from={-1} layers={connect.layers} wiring={connect.wiring} api={api} />
          <OutputHandle from={-1} label="the input" />
        </>
      )}
    </div>
  );
}
