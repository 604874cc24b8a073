/**
 * Keeps at most one prediction in flight and always predicts the latest
 * input (STYLE pattern 15): strokes never wait for the model, and a slow
 * model skips the inputs that were superseded while it worked.
 */
export function latestOnly<I, O>(
  predict: (input: I) => Promise<O>,
  onResult: (output: O, input: I) => void,
): (input: I) => void {
  let busy = false;
  let queued: { input: I } | null = null;
  const run = (input: I) => {
    busy = true;
    predict(input)
      .then((out) => onResult(out, input))
      .catch(() => {
        // A failed prediction only skips one frame; the next stroke asks again.
      })
      .finally(() => {
        busy = false;
        if (queued) {
          const next = queued.input;
          queued = null;
          run(next);
        }
      });
  };
  return (input: I) => {
    if (busy) queued = { input };
    else run(input);
  };
}
