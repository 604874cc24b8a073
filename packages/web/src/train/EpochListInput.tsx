import { useEffect, useState } from "react";
import { parseEpochList } from "./configFields";

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * A list of epochs typed as "2, 4": the config changes on every valid edit; while the text does not read,
 * it stays as typed with a message under it, and the config keeps its last valid list.
 */
export function EpochListInput({
  id,
  value,
  min,
  onCommit,
}: {
  id: string;
  value: readonly number[];
  min: number;
  onCommit: (epochs: number[]) => void;
}) {
  const [text, setText] = useState(value.join(", "));
  const [error, setError] = useState<string | null>(null);
  // A change from outside (undo, a Fix button) replaces the text, unless the text already says the same.
  useEffect(() => {
    setText((current) => {
      const typed = parseEpochList(current, min);
      return typed.ok && sameList(typed.epochs, value) ? current : value.join(", ");
    });
  }, [value, min]);
  return (
    <>
      <input
        id={id}
        type="text"
        inputMode="numeric"
        value={text}
        placeholder="none, e.g. 2, 4"
        aria-invalid={error !== null}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const parsed = parseEpochList(e.target.value, min);
          setError(parsed.ok ? null : parsed.error);
          if (parsed.ok && !sameList(parsed.epochs, value)) onCommit(parsed.epochs);
        }}
      />
      {error && (
        <small id={`${id}-error`} className="problem error" role="alert">
          {error}
        </small>
      )}
    </>
  );
}
