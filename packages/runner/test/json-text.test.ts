import { describe, expect, it } from "vitest";
import { jsonText } from "../src/files";

describe("jsonText", () => {
  it("keeps number arrays on one line and round-trips every value, strings with brackets included", () => {
    const value = {
      predictions: [1, 2, 0],
      small: [-3e-7, 2.5],
      nested: [
        [1, 2],
        [3, 4],
      ],
      empty: [],
      mixed: ["a", 1],
      text: "kept [1,\n 2] as is",
      inner: { series: [0.1] },
    };
    const text = jsonText(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toContain('"predictions": [1, 2, 0]');
    expect(text).toContain('"small": [-3e-7, 2.5]');
    expect(text).toContain("[1, 2]");
    expect(text).toContain('"series": [0.1]');
    // Arrays that hold anything but numbers stay pretty-printed.
    expect(text).toMatch(/"mixed": \[\n\s+"a",\n\s+1\n\s+\]/);
    expect(text.endsWith("}\n")).toBe(true);
  });
});
