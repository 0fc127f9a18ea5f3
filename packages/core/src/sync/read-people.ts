import pLimit from "p-limit";
import { usageWindow } from "../clients/coder-client";
import type { Config } from "../config/schema";
import {
  type ActiveDays,
  type MappedUsers,
  mapCoderUsers,
  markActiveDay,
  needsDailyActivity,
  type UsageWindow,
} from "../domain/mapping";
import { CoderDxError } from "../errors";
import type { CoderSource } from "../ports";

const DAY_MS = 86_400_000;
/** Day reads in flight at once: the Coder budget still paces them. */
const DAY_READS = 4;

/** Read Coder and map it: the people and attributes coder-dx would want in DX (`export`). */
export async function readPeople(
  coder: CoderSource,
  config: Config,
  now: Date,
  signal?: AbortSignal,
  /** Active days already read (`readActiveDays`); read here when needed and not given. */
  given?: DailyActivity | null,
): Promise<MappedUsers> {
  const window = usageWindow(now, config.coder.usageWindowDays);
  const daily = given ?? (await readActiveDays(coder, config, now, signal));
  // With the days read, the window's seconds are their sum: Coder counts 30-minute buckets
  // wholly inside the window asked for (reference/coder/API.md §3.1), and whole UTC days cut
  // the window without cutting a bucket. One large report fewer at the run's memory peak.
  const [users, me, usage] = await Promise.all([
    coder.listUsers({ signal }),
    coder.getMe({ signal }),
    daily ? daily.seconds : coder.getUserActivity(window.start, window.end, { signal }),
  ]);
  const described: UsageWindow = {
    start: window.start.toISOString(),
    end: window.end.toISOString(),
    days: config.coder.usageWindowDays,
  };
  return mapCoderUsers({
    users,
    usageSeconds: usage,
    daily: daily?.days ?? null,
    window: described,
    tokenOwnerId: me.id,
    config,
  });
}

/** The window read a day at a time: who was active on which days, and their seconds in all. */
export interface DailyActivity {
  days: ActiveDays;
  seconds: ReadonlyMap<string, number>;
}

/** The window's active days when the configured groups need them, else null. */
export async function readActiveDays(
  coder: CoderSource,
  config: Config,
  now: Date,
  signal?: AbortSignal,
): Promise<DailyActivity | null> {
  if (!needsDailyActivity(config)) return null;
  return readDailyActivity(coder, usageWindow(now, config.coder.usageWindowDays), signal);
}

/**
 * Activity per whole UTC day of the window: one insights read per day (Coder's windows are
 * midnight-aligned in the offset sent; coder-dx sends UTC), each listing only the people
 * active that day. A day that claims more than 24 hours for someone is refused (Coder caps each
 * 30-minute bucket at 30 minutes: reference/coder/API.md §3.1): a report that cannot be true
 * cannot decide anyone's frequency.
 */
export async function readDailyActivity(
  coder: CoderSource,
  window: { start: Date; end: Date },
  signal?: AbortSignal,
): Promise<DailyActivity> {
  const days = Math.round((window.end.getTime() - window.start.getTime()) / DAY_MS);
  const limit = pLimit(DAY_READS);
  // Folded in as each day arrives: a day's report of 100,000 people is garbage at once, and
  // a bit per day is all that stays.
  const perUser = new Map<string, number[]>();
  const seconds = new Map<string, number>();
  await Promise.all(
    Array.from({ length: days }, (_, day) =>
      limit(async () => {
        const from = new Date(window.start.getTime() + day * DAY_MS);
        const report = await coder.getUserActivity(from, new Date(from.getTime() + DAY_MS), {
          signal,
        });
        for (const [userId, daySeconds] of report) {
          if (daySeconds > DAY_MS / 1000) {
            throw new CoderDxError(
              "coder_bad_response",
              `Coder GET /insights/user-activity for ${from.toISOString().slice(0, 10)} gave user ${userId} ${daySeconds} s, more than a day holds; refusing to judge usage frequency from it`,
              { endpoint: "GET /insights/user-activity" },
            );
          }
          if (daySeconds === 0) continue;
          seconds.set(userId, (seconds.get(userId) ?? 0) + daySeconds);
          let words = perUser.get(userId);
          if (!words) {
            words = [];
            perUser.set(userId, words);
          }
          markActiveDay(words, day);
        }
      }),
    ),
  );
  return { days: perUser, seconds };
}
