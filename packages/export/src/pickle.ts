/*
 * A small writer of Python pickles (protocol 2), enough for a PyTorch
 * state_dict: globals, calls, tuples, dicts, strings, ints, booleans and
 * persistent ids. It emits only opcodes that torch's weights-only unpickler
 * accepts (torch/_weights_only_unpickler.py), and no memo, so every value is
 * written where it is used.
 * Opcodes: https://github.com/python/cpython/blob/main/Lib/pickletools.py
 */

const OP = {
  PROTO: 0x80,
  STOP: 0x2e, // .
  MARK: 0x28, // (
  TUPLE: 0x74, // t
  EMPTY_TUPLE: 0x29, // )
  SETITEMS: 0x75, // u
  GLOBAL: 0x63, // c
  REDUCE: 0x52, // R
  BINPERSID: 0x51, // Q
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  LONG1: 0x8a,
  BINUNICODE: 0x58, // X
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  NONE: 0x4e, // N
} as const;

/** A Python value the writer can emit. */
export type PyValue =
  | null
  | boolean
  | number
  | string
  | PyValue[]
  | { kind: "tuple"; items: PyValue[] }
  | { kind: "global"; module: string; name: string }
  /** `callable(*args)`, pickled as REDUCE. */
  | { kind: "call"; callable: PyValue; args: PyValue[] }
  /** An ordered dict literal built on `base` (e.g. `OrderedDict()`) by SETITEMS. */
  | { kind: "dict"; base: PyValue; entries: [PyValue, PyValue][] }
  /** A persistent id (PyTorch's storage references), resolved by the unpickler's `persistent_load`. */
  | { kind: "persistent"; id: PyValue };

/** `(a, b, …)`. */
export const tuple = (...items: PyValue[]): PyValue => ({ kind: "tuple", items });
/** `module.name` as a global reference. */
export const global = (module: string, name: string): PyValue => ({ kind: "global", module, name });
/** `callable(*args)`. */
export const call = (callable: PyValue, ...args: PyValue[]): PyValue => ({ kind: "call", callable, args });

class ByteSink {
  private buf = new Uint8Array(1024);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  uint(value: number, size: 1 | 2 | 4, signed = false): void {
    const b = new Uint8Array(size);
    const view = new DataView(b.buffer);
    if (size === 1) view.setUint8(0, value);
    else if (size === 2) view.setUint16(0, value, true);
    else if (signed) view.setInt32(0, value, true);
    else view.setUint32(0, value, true);
    this.bytes(b);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const encoder = new TextEncoder();

/** Little-endian two's-complement bytes of an integer, as LONG1 takes them. */
function longBytes(value: number): Uint8Array {
  let v = BigInt(value);
  const out: number[] = [];
  while (true) {
    const byte = Number(v & 0xffn);
    out.push(byte);
    v >>= 8n;
    const signBitSet = (byte & 0x80) !== 0;
    if ((v === 0n && !signBitSet) || (v === -1n && signBitSet)) break;
  }
  return Uint8Array.from(out);
}

function write(sink: ByteSink, value: PyValue): void {
  if (value === null) {
    sink.byte(OP.NONE);
    return;
  }
  if (value === true) {
    sink.byte(OP.NEWTRUE);
    return;
  }
  if (value === false) {
    sink.byte(OP.NEWFALSE);
    return;
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`pickle: only integers are supported, got ${value}`);
    if (value >= 0 && value < 0x100) {
      sink.byte(OP.BININT1);
      sink.uint(value, 1);
      return;
    }
    if (value >= 0 && value < 0x10000) {
      sink.byte(OP.BININT2);
      sink.uint(value, 2);
      return;
    }
    if (value >= -0x80000000 && value < 0x80000000) {
      sink.byte(OP.BININT);
      sink.uint(value, 4, true);
      return;
    }
    const bytes = longBytes(value);
    sink.byte(OP.LONG1);
    sink.uint(bytes.length, 1);
    sink.bytes(bytes);
    return;
  }
  if (typeof value === "string") {
    const utf8 = encoder.encode(value);
    sink.byte(OP.BINUNICODE);
    sink.uint(utf8.length, 4);
    sink.bytes(utf8);
    return;
  }
  if (Array.isArray(value)) throw new Error("pickle: lists are not needed for a state_dict and are not supported");
  switch (value.kind) {
    case "tuple":
      if (value.items.length === 0) {
        sink.byte(OP.EMPTY_TUPLE);
        return;
      }
      sink.byte(OP.MARK);
      for (const item of value.items) write(sink, item);
      sink.byte(OP.TUPLE);
      return;
    case "global":
      sink.byte(OP.GLOBAL);
      sink.bytes(encoder.encode(`${value.module}\n${value.name}\n`));
      return;
    case "call":
      write(sink, value.callable);
      write(sink, { kind: "tuple", items: value.args });
      sink.byte(OP.REDUCE);
      return;
    case "dict":
      write(sink, value.base);
      if (value.entries.length === 0) return;
      sink.byte(OP.MARK);
      for (const [k, v] of value.entries) {
        write(sink, k);
        write(sink, v);
      }
      sink.byte(OP.SETITEMS);
      return;
    case "persistent":
      write(sink, value.id);
      sink.byte(OP.BINPERSID);
      return;
  }
}

/** Pickles `value` with protocol 2. */
export function pickle(value: PyValue): Uint8Array {
  const sink = new ByteSink();
  sink.byte(OP.PROTO);
  sink.byte(2);
  write(sink, value);
  sink.byte(OP.STOP);
  return sink.result();
}
