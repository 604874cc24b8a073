// The convolution kernels ship as WebAssembly bytes inside the engine's source (src/native/convKernels.wasm.ts).
// They must be what the AssemblyScript source compiles to: a change to assembly/convKernels.ts without
// `npm run build:kernels` fails here.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { compileConvKernels, KERNELS_MODULE, kernelsModuleText } from "../scripts/build-kernels";

describe("the committed convolution kernels", () => {
  it("are the compiled AssemblyScript source", async () => {
    const kernels = await compileConvKernels();
    for (const bytes of [kernels.plain, kernels.shared]) {
      expect(bytes.length).toBeGreaterThan(1000);
      expect(WebAssembly.validate(new Uint8Array(bytes))).toBe(true);
    }
    // The relaxed builds differ by their fused multiply-adds (Node 20 does not validate them; Chromium does).
    expect(kernels.plainRelaxed).not.toEqual(kernels.plain);
    expect(kernels.sharedRelaxed).not.toEqual(kernels.shared);
    const committed = await readFile(KERNELS_MODULE, "utf8");
    expect(committed === kernelsModuleText(kernels), "run `npm run build:kernels` and commit the result").toBe(true);
  });
});
