import {
  CONV_KERNELS_RELAXED_WASM_BASE64,
  CONV_KERNELS_SHARED_RELAXED_WASM_BASE64,
  CONV_KERNELS_SHARED_WASM_BASE64,
  CONV_KERNELS_WASM_BASE64,
} from "./convKernels.wasm";

/** The exports of the convolution kernel module (`packages/engine/assembly/convKernels.ts`); pointers are byte offsets. */
export interface ConvKernelExports {
  sgemm(a: number, b: number, c: number, m: number, k: number, n: number, accumulate: boolean): void;
  sgemmTN(a: number, lda: number, b: number, c: number, m: number, k: number, n: number, accumulate: boolean): void;
  transpose(src: number, dst: number, batch: number, rows: number, cols: number): void;
  im2col(...args: [x: number, p: number, ...geometry: ImageGeometryArgs]): void;
  col2im(...args: [dp: number, dx: number, ...geometry: ImageGeometryArgs]): void;
  packWeight(weight: number, dst: number, o: number, c: number, kh: number, kw: number, transposed: boolean): void;
  unpackWeight(src: number, weight: number, o: number, c: number, kh: number, kw: number, transposed: boolean): void;
  fillRows(y: number, row: number, m: number, n: number): void;
  columnSums(y: number, sums: number, m: number, n: number): void;
  reluForward(y: number, count: number): void;
  reluBackward(dy: number, y: number, count: number): void;
  maxPoolForward(
    y: number,
    out: number,
    index: number,
    n: number,
    ho: number,
    wo: number,
    c: number,
    k: number,
    hq: number,
    wq: number,
    relu: boolean,
  ): void;
  maxPoolBackward(
    dout: number,
    out: number,
    index: number,
    dy: number,
    pooled: number,
    size: number,
    relu: boolean,
  ): void;
}

/** n, h, w, c, kh, kw, stride, padTop, padLeft, ho, wo */
type ImageGeometryArgs = [number, number, number, number, number, number, number, number, number, number, number];

/** A kernel module instance and the memory it runs in; with `shared`, worker threads can run it on the same memory. */
export interface KernelInstance {
  exports: ConvKernelExports;
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  shared: boolean;
  /** Built with relaxed SIMD: the products use fused multiply-adds. */
  relaxed: boolean;
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Whether this context can share a WebAssembly memory with workers (Node; a cross-origin-isolated page). */
export function canShareMemory(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  return typeof g.SharedArrayBuffer === "function" && g.crossOriginIsolated !== false;
}

/**
 * Whether this runtime runs relaxed SIMD (Chromium; Node from 22, or 20 after `enableRelaxedSimd`), asked of the
 * relaxed build each time: validating 4 KB takes microseconds, and a flag set later would change the answer.
 */
export function supportsRelaxedSimd(): boolean {
  return WebAssembly.validate(decodeBase64(CONV_KERNELS_RELAXED_WASM_BASE64));
}

function buildOf(shared: boolean, relaxed: boolean): string {
  if (shared) return relaxed ? CONV_KERNELS_SHARED_RELAXED_WASM_BASE64 : CONV_KERNELS_SHARED_WASM_BASE64;
  return relaxed ? CONV_KERNELS_RELAXED_WASM_BASE64 : CONV_KERNELS_WASM_BASE64;
}

/**
 * A fresh instance of the kernel module with a memory of its own, shared when asked, and with fused
 * multiply-adds where the runtime has relaxed SIMD unless `relaxed` is false. Each build is compiled once per
 * context, asynchronously: browsers refuse to compile modules over 4 KB synchronously on the main thread.
 */
export async function instantiateConvKernels(
  opts: { shared?: boolean; relaxed?: boolean } = {},
): Promise<KernelInstance> {
  const shared = opts.shared ?? false;
  const relaxed = (opts.relaxed ?? true) && supportsRelaxedSimd();
  const key = `${shared}/${relaxed}`;
  let module = modules.get(key);
  if (!module) {
    module = WebAssembly.compile(decodeBase64(buildOf(shared, relaxed)));
    modules.set(key, module);
  }
  const memory = shared
    ? new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true })
    : new WebAssembly.Memory({ initial: 1 });
  const instance = await WebAssembly.instantiate(await module, { env: { memory } });
  return { exports: instance.exports as unknown as ConvKernelExports, memory, module: await module, shared, relaxed };
}

/**
 * Buffers laid out once in a kernel instance's memory: `reserve` hands out 16-byte aligned byte offsets,
 * `commit` grows the memory to hold them all. Views are made after `commit`, since growing detaches the old ones.
 */
export class KernelArena {
  // The module's own data and stack live below the first page; buffers start above it.
  private next = 65536;

  constructor(private readonly memory: WebAssembly.Memory) {}

  reserve(floats: number): number {
    const at = this.next;
    this.next += Math.ceil((floats * 4) / 16) * 16;
    return at;
  }

  commit(): void {
    const have = this.memory.buffer.byteLength;
    if (this.next > have) this.memory.grow(Math.ceil((this.next - have) / 65536));
  }

  f32(at: number, floats: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, floats);
  }
}
