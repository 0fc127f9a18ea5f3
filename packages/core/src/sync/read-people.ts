import pLimit from "p-limit";
import { usageWindow } from "../clients/coder-client";
import type { Config } from "../config/schema";
import {
  type DailySeconds,
  type MappedUsers,
  mapCoderUsers,
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
): Promise<MappedUsers> {
  const window = usageWindow(now, config.coder.usageWindowDays);
  const [users, me, usage, daily] = await Promise.all([
    coder.listUsers({ signal }),
    coder.getMe({ signal }),
    coder.getUserActivity(window.start, window.end, { signal }),
    needsDailyActivity(config) ? readDailyActivity(coder, window, signal) : null,
  ]);
  const described: UsageWindow = {
    start: window.start.toISOString(),
    end: window.end.toISOString(),
    days: config.coder.usageWindowDays,
  };
  return mapCoderUsers({
    users,
    usageSeconds: usage,
    daily,
    window: described,
    tokenOwnerId: me.id,
    config,
  });
}

/**
 * Activity per whole UTC day of the window: one insights read per day (Coder's windows are
 * midnight-aligned in the offset sent; coder-dx sends UTC), each listing only the people
 * active that day. A day that claims more than 24 hours for someone is refused: a report
 * that cannot be true cannot decide anyone's frequency.
 */
export async function readDailyActivity(
  coder: CoderSource,
  window: { start: Date; end: Date },
  signal?: AbortSignal,
): Promise<DailySeconds> {
  const days = Math.round((window.end.getTime() - window.start.getTime()) / DAY_MS);
  const limit = pLimit(DAY_READS);
  const reports = await Promise.all(
    Array.from({ length: days }, (_, day) =>
      limit(() =>
        coder.getUserActivity(
          new Date(window.start.getTime() + day * DAY_MS),
          new Date(window.start.getTime() + (day + 1) * DAY_MS),
          { signal },
        ),
      ),
    ),
  );
  const perUser = new Map<string, number[]>();
  reports.forEach((report, day) => {
    for (const [userId, seconds] of report) {
      if (seconds > DAY_MS / 1000) {
        const date = new Date(window.start.getTime() + day * DAY_MS).toISOString().slice(0, 10);
        throw new CoderDxError(
          "coder_bad_response",
          `Coder GET /insights/user-activity for ${date} gave user ${userId} ${seconds} s, more than a day holds; refusing to judge usage frequency from it`,
          { endpoint: "GET /insights/user-activity" },
        );
      }
      let perDay = perUser.get(userId);
      if (!perDay) {
        perDay = new Array<number>(days).fill(0);
        perUser.set(userId, perDay);
      }
      perDay[day] = seconds;
    }
  });
  return perUser;
}
