import { z } from "zod";

/**
 * Which end of a range a time given by the user bounds. A date alone means a whole UTC day:
 * `since` starts at its 00:00, `until` (exclusive) stops at the next day's 00:00, and `at`
 * (inclusive) is its last millisecond, so `--since 2026-11-20 --until 2026-11-20` is that day.
 */
export type TimeBound = "since" | "until" | "at";

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const DAY_MS = 86_400_000;

/**
 * One meaning for dates everywhere (CLI and API): `2026-11-20`, `2026-11-20T10:00`,
 * `2026-11-20T10:00:00.5+01:00`. A time without an offset is UTC. Impossible dates
 * (`2026-02-30`, `25:00`) and anything else are null: `Date.parse` would accept both.
 */
export function parseTime(value: string, bound: TimeBound): string | null {
  const match = PATTERN.exec(value.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  const midnight = Date.UTC(year, month - 1, day);
  if (h === undefined) {
    if (bound === "since") return new Date(midnight).toISOString();
    return new Date(midnight + DAY_MS - (bound === "at" ? 1 : 0)).toISOString();
  }
  const [hour, minute, second] = [Number(h), Number(mi), Number(s ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return null;
  const ms = fraction ? Math.floor(Number(fraction) * 1000) : 0;
  const time = midnight + ((hour * 60 + minute) * 60 + second) * 1000 + ms - offsetMs(zone);
  return new Date(time).toISOString();
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function offsetMs(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === "Z") return 0;
  const digits = zone.replace(":", "");
  const sign = digits.startsWith("-") ? -1 : 1;
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * 60_000;
}

/** What every transport says of a time `parseTime` refuses. */
export const TIME_PROBLEM =
  "must be a real date (2026-11-20) or an ISO 8601 time (2026-11-20T10:00:00Z)";

/** The zod form of `parseTime`, shared by the CLI's options and the API's query strings. */
export function timeParameter(bound: TimeBound) {
  return z.string().transform((value, ctx) => {
    const time = parseTime(value, bound);
    if (time === null) {
      ctx.addIssue({ code: "custom", message: TIME_PROBLEM });
      return z.NEVER;
    }
    return time;
  });
}

/** The one time format for people: `2026-12-06 08:45:12 UTC` (APIs and --json keep ISO 8601). */
export function humanTime(iso: string | null | undefined): string {
  if (!iso) return "-";
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return `${new Date(time).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
