/** Escape a request value for use inside a MongoDB $regex, so it only ever matches literally. */
export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
