import { useState } from "react";
import { ImageCanvas, toRgb } from "../data/ImageCanvas";
import type { TestImages } from "../train/protocol";

/** Thumbnails shown before "Show all": enough to see a pattern, few enough to draw at once. */
const FIRST_THUMBNAILS = 60;
/** Thumbnails are about this many CSS pixels wide, whatever the images' size. */
const THUMBNAIL_WIDTH = 56;

/** One list of test images with their true class and both runs' answers. */
export function DisagreementGallery({
  title,
  indices,
  test,
  predictionsA,
  predictionsB,
  names,
}: {
  title: string;
  /** Test-split indices, in order. */
  indices: readonly number[];
  test: TestImages;
  predictionsA: ArrayLike<number>;
  predictionsB: ArrayLike<number>;
  names: { a: string; b: string };
}) {
  const [all, setAll] = useState(false);
  const shown = all ? indices : indices.slice(0, FIRST_THUMBNAILS);
  const [, height = 1, width = 1] = test.shape;
  const scale = THUMBNAIL_WIDTH / width;
  // Run names can be long: a thumbnail says A or B in the run's colour, and the name to screen readers.
  const answer = (side: "a" | "b", predicted: number, actual: number) => (
    <span className={predicted === actual ? "right" : "wrong"}>
      <span className={`run-chip ${side}`} aria-hidden="true">
        {side.toUpperCase()}
      </span>{" "}
      {test.classes[predicted]}
      <span className="sr-only">
        {" "}
        ({names[side]}, {predicted === actual ? "right" : "wrong"})
      </span>
    </span>
  );
  return (
    <section className="disagree-gallery" aria-label={title}>
      <h4>
        {title} ({indices.length})
      </h4>
      {indices.length === 0 ? (
        <p className="muted">No images.</p>
      ) : (
        <ul className="thumbs">
          {shown.map((i) => {
            const actual = test.labels[i]!;
            return (
              <li key={i}>
                <figure>
                  <ImageCanvas
                    width={width}
                    height={height}
                    rgb={toRgb(test.images, i, test.shape)}
                    scale={scale}
                    label={`test image ${i}`}
                  />
                  <figcaption>
                    <span className="truth">is {test.classes[actual]}</span>
                    {answer("a", predictionsA[i]!, actual)}
                    {answer("b", predictionsB[i]!, actual)}
                  </figcaption>
                </figure>
              </li>
            );
          })}
        </ul>
      )}
      {indices.length > shown.length && (
        <button type="button" onClick={() => setAll(true)}>
          Show all {indices.length}
        </button>
      )}
    </section>
  );
}
