import pLimit from "p-limit";
import { usageWindow } from "../clients/coder-client";
import type { Config } from "../config/schema";
import type { CoderUser } from "../domain/coder-user";
import {
  type ActiveDays,
  type MappedUsers,
  mapCoderUsers,
  markActiveDay,
  needsDailyActivity,
  type Segments,
  type TemplateHours,
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
  const [users, me, usage, segments] = await Promise.all([
    coder.listUsers({ signal }),
    coder.getMe({ signal }),
    daily ? daily.seconds : coder.getUserActivity(window.start, window.end, { signal }),
    readSegments(coder, config, window, signal),
  ]);
  assertAiSeats(config, users);
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
    segments,
  });
}

/** How many templates' usage is read at once: the Coder budget still paces them. */
const TEMPLATE_READS = 4;
/** The templates kept per person: the top one decides, the next two are the evidence. */
const TOP_TEMPLATES = 3;

/**
 * What the extra groups with a segment source need: each person's hours per template (their
 * top few; `GET /templates`, then one insights/user-activity read per template with
 * `template_ids`, over the usage window) and each person's Coder groups (`GET /groups`).
 * Only what the config asks for is read. A run reads 1 + (templates) Coder requests more for
 * a `template` group, 1 more for a `group` group.
 */
export async function readSegments(
  coder: CoderSource,
  config: Config,
  window: { start: Date; end: Date },
  signal?: AbortSignal,
): Promise<Segments> {
  const wants = (from: string) => config.groups.extra.some((g) => g.from === from);
  const [templates, groups] = await Promise.all([
    wants("template") ? readTemplateHours(coder, window, signal) : null,
    wants("group") ? readGroups(coder, signal) : null,
  ]);
  return { templates, groups };
}

/** Sorted by hours, most first; a tie to the template whose name comes first. */
const byHours = (a: TemplateHours, b: TemplateHours) =>
  b.seconds - a.seconds || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

async function readTemplateHours(
  coder: CoderSource,
  window: { start: Date; end: Date },
  signal?: AbortSignal,
): Promise<Map<string, TemplateHours[]>> {
  const templates = await coder.listTemplates({ signal });
  const limit = pLimit(TEMPLATE_READS);
  const top = new Map<string, TemplateHours[]>();
  await Promise.all(
    templates.map((template) =>
      limit(async () => {
        const usage = await coder.getUserActivity(window.start, window.end, {
          signal,
          templateIds: [template.id],
        });
        const value = template.display_name?.trim() || template.name;
        // Folded in as each template arrives: its report is garbage at once.
        for (const [userId, seconds] of usage) {
          if (seconds === 0) continue;
          const list = top.get(userId) ?? [];
          list.push({ name: template.name, value, seconds });
          list.sort(byHours);
          if (list.length > TOP_TEMPLATES) list.length = TOP_TEMPLATES;
          top.set(userId, list);
        }
      }),
    ),
  );
  return top;
}

/**
 * Each user's groups by name. The built-in Everyone group (its id is its organization's:
 * coderd/database, every member of the organization) never counts.
 */
async function readGroups(
  coder: CoderSource,
  signal?: AbortSignal,
): Promise<Map<string, string[]>> {
  const memberships = new Map<string, string[]>();
  for (const group of await coder.listGroups({ signal })) {
    if (group.id === group.organization_id || group.name === "Everyone") continue;
    for (const member of group.members ?? [])
      memberships.set(member.id, [...(memberships.get(member.id) ?? []), group.name]);
  }
  return memberships;
}

/**
 * `from: aiSeat` reads `has_ai_seat`, which Coder reports from v2.32 on: a Coder that reports
 * it for nobody cannot say who holds a seat, and every "No" would be a guess.
 */
function assertAiSeats(config: Config, users: readonly CoderUser[]): void {
  const entry = config.groups.extra.findIndex((g) => g.from === "aiSeat");
  if (entry < 0 || users.length === 0) return;
  if (users.some((u) => u.has_ai_seat !== undefined)) return;
  throw new CoderDxError(
    "config_invalid",
    `groups.extra.${entry} (from: aiSeat) needs has_ai_seat, which Coder reports from v2.32 on; this Coder's users have none (remove the entry, or upgrade Coder)`,
  );
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
