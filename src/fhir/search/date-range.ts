/**
 * FHIR date/dateTime/instant values as inclusive epoch-millisecond ranges implied by their precision
 * (R4 search.html §3.1.1.4.6: "the range of the value is the range implied by its precision").
 * A value without a time zone is taken as UTC, the same at write and at search time.
 */
export interface DateRange {
  lo: number;
  hi: number;
}

const PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function dateRange(value: string): DateRange | undefined {
  const m = PATTERN.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : undefined;
  const day = d ? Number(d) : undefined;
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined && (day < 1 || day > 31)) return undefined;
  if (h !== undefined && (Number(h) > 23 || (mi !== undefined && Number(mi) > 59) || (s !== undefined && Number(s) > 60))) {
    return undefined;
  }
  const offsetMs = tzOffsetMs(tz);
  if (offsetMs === undefined) return undefined;
  if (month === undefined) {
    return { lo: Date.UTC(year, 0, 1), hi: Date.UTC(year + 1, 0, 1) - 1 };
  }
  if (day === undefined) {
    return { lo: Date.UTC(year, month - 1, 1), hi: Date.UTC(year, month, 1) - 1 };
  }
  // Reject impossible days such as 2023-02-30.
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCMonth() !== month - 1) return undefined;
  if (h === undefined) {
    return { lo: Date.UTC(year, month - 1, day), hi: Date.UTC(year, month - 1, day + 1) - 1 };
  }
  const base = Date.UTC(year, month - 1, day, Number(h), mi ? Number(mi) : 0, s ? Number(s) : 0) - offsetMs;
  if (mi === undefined) return { lo: base, hi: base + 3_600_000 - 1 };
  if (s === undefined) return { lo: base, hi: base + 60_000 - 1 };
  if (frac === undefined) return { lo: base, hi: base + 999 };
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  return { lo: base + ms, hi: base + ms };
}

function tzOffsetMs(tz: string | undefined): number | undefined {
  if (!tz || tz === 'Z') return 0;
  const sign = tz.startsWith('-') ? -1 : 1;
  const [hh, mm] = tz.slice(1).split(':').map(Number);
  if (hh > 14 || mm > 59) return undefined;
  return sign * (hh * 3_600_000 + mm * 60_000);
}
