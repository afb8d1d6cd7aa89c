// Reads the values of one element from its parent JSON object, following the R4 JSON rules
// (R4 §json): repeating elements are arrays, choice elements `value[x]` appear as `valueQuantity`
// etc., and a primitive may be present only through its `_name` extension object.

export interface ElementValue {
  value: unknown;
  /** JSON key the value came from, e.g. `timingPeriod` for `timing[x]`. */
  key: string;
  /** Position in the JSON array, or undefined when the element is not an array. */
  index: number | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valuesOfKey(parent: Record<string, unknown>, key: string): ElementValue[] {
  const raw = parent[key];
  const extension = parent[`_${key}`];
  if (Array.isArray(raw)) {
    const out: ElementValue[] = [];
    raw.forEach((value, index) => {
      const ext: unknown = Array.isArray(extension) ? extension[index] : undefined;
      if (value !== null && value !== undefined) out.push({ value, key, index });
      else if (ext !== null && ext !== undefined) out.push({ value: ext, key: `_${key}`, index });
    });
    return out;
  }
  if (raw !== undefined && raw !== null) return [{ value: raw, key, index: undefined }];
  if (extension !== undefined && extension !== null) return [{ value: extension, key: `_${key}`, index: undefined }];
  return [];
}

/** Element names ending in [x] match every `name` + TypeName key (e.g. value[x] → valueString). */
export function elementValues(parent: unknown, name: string): ElementValue[] {
  if (!isRecord(parent)) return [];
  if (!name.endsWith('[x]')) return valuesOfKey(parent, name);
  const prefix = name.slice(0, -3);
  const out: ElementValue[] = [];
  for (const key of Object.keys(parent)) {
    if (key.startsWith(prefix) && key.length > prefix.length && /[A-Z]/.test(key.charAt(prefix.length))) {
      out.push(...valuesOfKey(parent, key));
    }
  }
  return out;
}

export function childPath(parentPath: string, value: ElementValue): string {
  return value.index === undefined ? `${parentPath}.${value.key}` : `${parentPath}.${value.key}[${value.index}]`;
}
