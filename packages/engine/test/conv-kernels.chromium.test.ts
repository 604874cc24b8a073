// Chromium runs relaxed SIMD, so a learner's browser trains with the kernels' fused multiply-add build (Node 20
// does not validate it and uses the plain one). In a real Chromium page, the fused build's products must match
// the plain build's on the same operands to float32 round-off.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchTestChromium } from "../../../test-support/chromium";
import { CONV_KERNELS_RELAXED_WASM_BASE64, CONV_KERNELS_WASM_BASE64 } from "../src/native/convKernels.wasm";

let browser: Browser;
beforeAll(async () => {
  browser = await launchTestChromium();
}, 60_000);
afterAll(() => browser?.close());

/** Runs in the page: both builds on the same random operands, for A·B and Aᵀ·B; returns what it saw. */
async function compareBuilds(builds: { plain: string; relaxed: string; shapes: [number, number, number][] }) {
  const bytes = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  const instantiate = async (b64: string) => {
    const memory = new WebAssembly.Memory({ initial: 64 });
    const { instance } = await WebAssembly.instantiate(bytes(b64), { env: { memory } });
    return { memory, k: instance.exports as Record<string, (...args: number[]) => void> };
  };
  const relaxedValid = WebAssembly.validate(bytes(builds.relaxed));
  const [plain, relaxed] = [await instantiate(builds.plain), await instantiate(builds.relaxed)];
  let seed = 7;
  const rand = () => {
    seed = (seed * 16807) % 2147483647;
    return (seed / 2147483647) * 2 - 1;
  };
  let worst = 0;
  let compared = 0;
  for (const [m, k, n] of builds.shapes) {
    const a = Float32Array.from({ length: m * k }, rand);
    const b = Float32Array.from({ length: k * n }, rand);
    for (const transposed of [false, true]) {
      const outs = [plain, relaxed].map(({ memory, k: kernels }) => {
        const [pa, pb, pc] = [65536, 65536 + a.length * 4, 65536 + (a.length + b.length) * 4];
        new Float32Array(memory.buffer, pa, a.length).set(a);
        new Float32Array(memory.buffer, pb, b.length).set(b);
        // Aᵀ·B reads a as [k, m]: the same floats, another product.
        if (transposed) kernels.sgemmTN!(pa, m, pb, pc, m, k, n, 0);
        else kernels.sgemm!(pa, pb, pc, m, k, n, 0);
        return new Float32Array(memory.buffer, pc, m * n).slice();
      });
      for (let i = 0; i < m * n; i++) {
        worst = Math.max(worst, Math.abs(outs[0]![i]! - outs[1]![i]!) / (1 + Math.abs(outs[0]![i]!)));
        compared++;
      }
    }
  }
  return { relaxedValid, worst, compared };
}

describe("the conv kernels' relaxed SIMD build in Chromium", () => {
  it("validates there and computes the plain build's products to float32 round-off", async () => {
    const page = await browser.newPage();
    try {
      const shapes: [number, number, number][] = [
        [13, 600, 19],
        [64, 288, 64],
        [9, 300, 32],
      ];
      const seen = await page.evaluate(compareBuilds, {
        plain: CONV_KERNELS_WASM_BASE64,
        relaxed: CONV_KERNELS_RELAXED_WASM_BASE64,
        shapes,
      });
      expect(seen.relaxedValid).toBe(true);
      expect(seen.compared).toBe(2 * (13 * 19 + 64 * 64 + 9 * 32));
      expect(seen.worst).toBeLessThan(1e-5);
    } finally {
      await page.close();
    }
  }, 60_000);
});
