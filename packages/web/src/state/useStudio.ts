import { useCallback, useEffect, useReducer } from "react";
import { encodeSetup, SETUP_PARAM, setupFromUrl } from "./share";
import {
  type CommandArg,
  type CommandName,
  dispatch,
  type History,
  initialStudio,
  redo,
  startHistory,
  undo,
} from "./studio";

type Action = { type: "command"; name: CommandName; arg: unknown } | { type: "undo" } | { type: "redo" };

function reducer(h: History, a: Action): History {
  if (a.type === "undo") return undo(h);
  if (a.type === "redo") return redo(h);
  return dispatch(h, a.name, a.arg as never);
}

/** The studio opened from the URL's shared setup, else the first-visit default; and the link's error if any. */
export function studioFromLocation(): { history: History; linkError: string | null } {
  const decoded = setupFromUrl(window.location.href);
  if (decoded?.ok) return { history: startHistory(decoded.studio), linkError: null };
  return { history: startHistory(initialStudio()), linkError: decoded && !decoded.ok ? decoded.error : null };
}

/** The studio's state with undo/redo, kept in the URL so the address bar is always a share link. */
export function useStudio(initial: History) {
  const [history, send] = useReducer(reducer, initial);
  const run = useCallback(
    <N extends CommandName>(name: N, arg: CommandArg<N>) => send({ type: "command", name, arg }),
    [],
  );
  const doUndo = useCallback(() => send({ type: "undo" }), []);
  const doRedo = useCallback(() => send({ type: "redo" }), []);

  useEffect(() => {
    const url = new URL(window.location.href);
    url.searchParams.set(SETUP_PARAM, encodeSetup(history.present));
    window.history.replaceState(window.history.state, "", url);
  }, [history.present]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      // Inputs keep their own undo.
      if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT"))
        return;
      if (!(e.ctrlKey || e.metaKey) || (e.key.toLowerCase() !== "z" && e.key.toLowerCase() !== "y")) return;
      e.preventDefault();
      if (e.key.toLowerCase() === "y" || e.shiftKey) doRedo();
      else doUndo();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [doUndo, doRedo]);

  return { history, studio: history.present, run, undo: doUndo, redo: doRedo };
}

/** What every page receives to read and change the studio. */
export type StudioApi = ReturnType<typeof useStudio>;
