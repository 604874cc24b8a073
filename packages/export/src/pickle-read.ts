/*
 * A restricted reader of Python pickles: a stack machine that knows the
 * opcodes of plain data (None, booleans, numbers, strings, bytes, tuples,
 * lists, dicts, the memo) and nothing that runs code by itself. A GLOBAL is
 * resolved only through the caller's allow-list, and only what that list
 * returns can be called by REDUCE or receive BUILD's state; every other
 * opcode and every other global is refused with an error that names it.
 * Nothing here ever evaluates or imports anything: it only builds values.
 * Opcodes: https://github.com/python/cpython/blob/main/Lib/pickletools.py
 */

/** A tuple, kept apart from a list (Python tells them apart, and so do torch's arguments). */
export interface PyTuple {
  kind: "tuple";
  items: PyObject[];
}

/** A dict (or OrderedDict) in insertion order. */
export interface PyDict {
  kind: "dict";
  entries: Map<PyObject, PyObject>;
}

/** A value the caller's allow-list made for a global; `call` is what REDUCE may do with it. */
export interface PyAllowed {
  kind: "allowed";
  /** `module.name`, for messages. */
  name: string;
  call?: (args: PyObject[]) => PyObject;
  /** What BUILD does with this object's state; absent: BUILD is refused. */
  build?: (state: PyObject) => void;
}

/** Something a caller's hook made (a tensor, a storage): opaque to the reader. */
export interface PyOpaque {
  kind: "opaque";
  value: unknown;
}

/** A value the restricted reader can produce. */
export type PyObject =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyObject[]
  | PyTuple
  | PyDict
  | PyAllowed
  | PyOpaque;

/** What the reader needs from its caller: the globals it allows and how persistent ids load. */
export interface RestrictedUnpickler {
  /** The allowed globals, by `module.name`; anything else is refused. */
  globals: Record<string, () => PyAllowed>;
  /** Resolves a persistent id (BINPERSID); absent: persistent ids are refused. */
  persistentLoad?: (id: PyObject) => PyObject;
}

/** Why a pickle was refused or could not be read; the message names the opcode, global or problem. */
export class PickleReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PickleReadError";
  }
}

const MARK = Symbol("mark");
type StackItem = PyObject | typeof MARK;

/** A dict value with the given entries. */
export const pyDict = (entries: Map<PyObject, PyObject> = new Map()): PyDict => ({ kind: "dict", entries });

const isDict = (v: unknown): v is PyDict => typeof v === "object" && v !== null && (v as PyDict).kind === "dict";

/** Reads `bytes` as a pickle (protocols 0–5, binary opcodes) under `rules`; returns the pickled value. */
export function unpickleRestricted(bytes: Uint8Array, rules: RestrictedUnpickler): PyObject {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder("latin1");
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const stack: StackItem[] = [];
  const memo = new Map<number, PyObject>();
  let pos = 0;

  const need = (n: number) => {
    if (pos + n > bytes.length) throw new PickleReadError(`the pickle ends inside an opcode at byte ${pos}`);
  };
  /** Moves past `n` bytes and returns where they start. */
  const advance = (n: number) => {
    need(n);
    pos += n;
    return pos - n;
  };
  const u8 = () => bytes[advance(1)]!;
  const u16 = () => view.getUint16(advance(2), true);
  const u32 = () => view.getUint32(advance(4), true);
  const i32 = () => view.getInt32(advance(4), true);
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) throw new PickleReadError(`a length of ${v} bytes runs past the end of the pickle`);
    return Number(v);
  };
  const take = (n: number) => {
    const start = advance(n);
    return bytes.subarray(start, start + n);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new PickleReadError("a GLOBAL's name has no end of line");
    const text = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const text = (raw: Uint8Array) => {
    try {
      return utf8.decode(raw);
    } catch {
      throw new PickleReadError("a string is not valid UTF-8");
    }
  };
  const pop = (): PyObject => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new PickleReadError("the pickle pops a value that is not there");
    return v;
  };
  const top = (): PyObject => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new PickleReadError("the pickle uses a value that is not there");
    return v;
  };
  const popToMark = (): PyObject[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new PickleReadError("the pickle closes a MARK it never opened");
    const items = stack.splice(at) as PyObject[];
    items.shift();
    return items;
  };
  const resolveGlobal = (module: string, name: string): PyAllowed => {
    const make = Object.hasOwn(rules.globals, `${module}.${name}`) ? rules.globals[`${module}.${name}`] : undefined;
    if (!make) {
      throw new PickleReadError(
        `it refers to ${module}.${name}, which is not allowed: only ${Object.keys(rules.globals).join(", ")} are`,
      );
    }
    return make();
  };
  const setItems = (target: PyObject, items: PyObject[]) => {
    if (!isDict(target)) throw new PickleReadError("SETITEMS on something that is not a dict");
    for (let i = 0; i + 1 < items.length; i += 2) target.entries.set(items[i]!, items[i + 1]!);
  };
  const push = (v: PyObject) => stack.push(v);

  while (true) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: {
        const protocol = u8();
        if (protocol > 5) throw new PickleReadError(`pickle protocol ${protocol} is newer than 5`);
        break;
      }
      case 0x95: // FRAME: a length prefix only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw new PickleReadError("the pickle stops with more or less than one value");
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popToMark();
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement
        const raw = take(u8());
        let v = 0n;
        for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]!);
        if (raw.length > 0 && raw[raw.length - 1]! & 0x80) v -= 1n << BigInt(raw.length * 8);
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT: big-endian double
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        push(text(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(text(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        push(text(take(u64())));
        break;
      case 0x54: // BINSTRING (Python 2 str)
        push(latin1.decode(take(u32())));
        break;
      case 0x55: // SHORT_BINSTRING
        push(latin1.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        push(take(u8()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        push({ kind: "tuple", items: [] });
        break;
      case 0x74: // TUPLE
        push({ kind: "tuple", items: popToMark() });
        break;
      case 0x85: // TUPLE1
        push({ kind: "tuple", items: [pop()] });
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        push({ kind: "tuple", items: [pop(), b] });
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        push({ kind: "tuple", items: [pop(), b, c] });
        break;
      }
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) throw new PickleReadError("APPEND to something that is not a list");
        list.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popToMark();
        const list = top();
        if (!Array.isArray(list)) throw new PickleReadError("APPENDS to something that is not a list");
        list.push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(pyDict());
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popToMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) throw new PickleReadError(`the pickle reads memo entry ${key}, which it never stored`);
        push(memo.get(key)!);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        push(resolveGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          throw new PickleReadError("STACK_GLOBAL needs a module and a name as strings");
        }
        push(resolveGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (typeof fn !== "object" || fn === null || (fn as PyAllowed).kind !== "allowed" || !(fn as PyAllowed).call) {
          throw new PickleReadError("REDUCE calls something that is not an allowed callable");
        }
        if (typeof args !== "object" || args === null || (args as PyTuple).kind !== "tuple") {
          throw new PickleReadError(`REDUCE of ${(fn as PyAllowed).name} without an argument tuple`);
        }
        push((fn as PyAllowed).call!((args as PyTuple).items));
        break;
      }
      case 0x62: {
        // BUILD: set an object's state, allowed only where the allow-list says how
        const state = pop();
        const target = top();
        if (isDict(target)) {
          // An OrderedDict's attributes (a state_dict's `_metadata`): kept out of the value.
          break;
        }
        if (typeof target === "object" && target !== null && (target as PyAllowed).kind === "allowed") {
          const build = (target as PyAllowed).build;
          if (build) {
            build(state);
            break;
          }
        }
        throw new PickleReadError("BUILD on an object that does not allow it");
      }
      case 0x51: {
        // BINPERSID
        if (!rules.persistentLoad) throw new PickleReadError("the pickle holds a persistent id, which is not allowed");
        push(rules.persistentLoad(pop()));
        break;
      }
      default:
        throw new PickleReadError(
          `opcode 0x${op.toString(16).padStart(2, "0")} ('${String.fromCharCode(op)}') at byte ${at} is not allowed`,
        );
    }
  }
}
