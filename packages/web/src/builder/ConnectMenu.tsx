import { useEffect, useId, useRef, useState } from "react";
import type { StudioApi } from "../state/useStudio";
import { isMergeAt, sourceLabel, type Wiring } from "./wiring";

/**
 * The keyboard way to add a skip connection or branch: "Connect…" opens a small form on the card that picks
 * a later layer and how to join (add or concat; a merge just gets one more input). Focus goes to the picker
 * on opening and back to the button on closing.
 */
export function ConnectMenu(props: { from: number; layers: readonly unknown[]; wiring: Wiring; api: StudioApi }) {
  const { from, layers, wiring, api } = props;
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState<number | null>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const form = useRef<HTMLFieldSetElement>(null);
  const returnFocus = useRef(false);
  const id = useId();
  const fromLabel = sourceLabel(layers, from);
  // Later layers that do not take this output yet.
  const targets = layers.flatMap((_, i) => (i > from && !wiring.sources[i]?.includes(from) ? [i] : []));
  const chosen = target !== null && targets.includes(target) ? target : (targets[0] ?? null);

  useEffect(() => {
    if (open) form.current?.querySelector<HTMLElement>("select, button")?.focus();
    else if (returnFocus.current) {
      returnFocus.current = false;
      trigger.current?.focus();
    }
  }, [open]);

  const close = () => {
    returnFocus.current = true;
    setOpen(false);
  };
  const connect = (merge?: "add" | "concat") => {
    if (chosen === null) return;
    api.run("connect", merge ? { from, to: chosen, merge } : { from, to: chosen });
    close();
  };

  return (
    <>
      <button
        ref={trigger}
        type="button"
        className="connect-open"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        aria-label={`Connect ${fromLabel}'s output to a later layer`}
        title="Connect this output to a later layer (a skip connection or a branch)"
        onClick={() => (open ? close() : setOpen(true))}
      >
        Connect…
      </button>
      {open && (
        <fieldset
          ref={form}
          id={id}
          className="connect-form"
          onKeyDown={(e) => {
            if (e.key !== "Escape") return;
            e.stopPropagation();
            close();
          }}
        >
          <legend className="sr-only">Connect {fromLabel}'s output</legend>
          {chosen === null ? (
            <span className="muted">No later layer can take {fromLabel}'s output.</span>
          ) : (
            <>
              <label className="labelled">
                <span>{fromLabel} →</span>
                <select
                  value={chosen}
                  aria-label={`Layer to take ${fromLabel}'s output`}
                  onChange={(e) => setTarget(Number(e.target.value))}
                >
                  {targets.map((i) => (
                    <option key={i} value={i}>
                      {sourceLabel(layers, i)}
                      {isMergeAt(layers, i) ? " (one more input)" : ""}
                    </option>
                  ))}
                </select>
              </label>
              {isMergeAt(layers, chosen) ? (
                <button type="button" className="primary" onClick={() => connect()}>
                  Connect to {sourceLabel(layers, chosen)}
                </button>
              ) : (
                <>
                  <button
                    type="button"
                    className="primary"
                    onClick={() => connect("add")}
                    title="Sum the two outputs (a residual connection)"
                  >
                    Connect with add
                  </button>
                  <button
                    type="button"
                    onClick={() => connect("concat")}
                    title="Join the two outputs along their channels or features"
                  >
                    Connect with concat
                  </button>
                </>
              )}
            </>
          )}
          <button type="button" className="ghost" onClick={close}>
            Cancel
          </button>
        </fieldset>
      )}
    </>
  );
}
