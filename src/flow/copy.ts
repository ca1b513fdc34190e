/**
 * A deep copy of the builder's plain state (objects, arrays, Sets, Maps, strings and numbers) for
 * published facts. structuredClone does the same through a serialise/deserialise round trip and
 * was the top self-time of `facts()` on large captures; a walk over the values is several times
 * cheaper. Typed arrays are copied too (the state holds none, but a copy must never share bytes).
 */
export function deepCopy<T>(v: T): T {
  return copyValue(v) as T;
}

function copyValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyValue(v[i]);
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const src = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k in src) out[k] = copyValue(src[k]);
    return out;
  }
  if (v instanceof Set) {
    const out = new Set<unknown>();
    for (const x of v) out.add(copyValue(x));
    return out;
  }
  if (v instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, x] of v) out.set(copyValue(k), copyValue(x));
    return out;
  }
  if (ArrayBuffer.isView(v)) return (v as unknown as Uint8Array).slice();
  return structuredClone(v);
}
