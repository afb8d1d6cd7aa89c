// fixed[x] and pattern[x] comparison (R4 §elementdefinition ElementDefinition.fixed[x] /
// pattern[x]): fixed means exactly equal (no extra content); pattern means every element in the
// pattern is present with the same value, and for repeating elements each pattern item matches
// some item of the instance (so patternCodeableConcept {coding:[{system,code}]} matches any
// CodeableConcept having that coding among others).

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    const items = Array.isArray(value) ? value : [value];
    return pattern.every((wanted) => items.some((item) => matchesPattern(item, wanted)));
  }
  if (isRecord(pattern)) {
    if (!isRecord(value)) return false;
    return Object.entries(pattern).every(([key, wanted]) => value[key] !== undefined && matchesPattern(value[key], wanted));
  }
  return value === pattern;
}

export function equalsFixed(value: unknown, fixed: unknown): boolean {
  if (Array.isArray(fixed)) {
    return Array.isArray(value) && value.length === fixed.length && fixed.every((item, i) => equalsFixed(value[i], item));
  }
  if (isRecord(fixed)) {
    if (!isRecord(value)) return false;
    const keys = Object.keys(fixed);
    return Object.keys(value).length === keys.length && keys.every((key) => equalsFixed(value[key], fixed[key]));
  }
  return value === fixed;
}

/** Reads the single fixed[x] or pattern[x] property of an ElementDefinition, if any. */
export function choiceProperty(element: object, prefix: 'fixed' | 'pattern'): unknown {
  for (const [key, value] of Object.entries(element)) {
    if (key.startsWith(prefix) && key.length > prefix.length && /[A-Z]/.test(key.charAt(prefix.length))) return value;
  }
  return undefined;
}
