import { z } from "zod";
import { isDomainName, isEmailAddress } from "../domain/identity";
import { DEFAULT_PLATFORMX_EVENTS, platformxKindOf } from "../domain/platformx-events";

const GroupName = z.string().trim().min(1, "must not be empty");
/** An attribute value DX shows as a filter option: never empty. */
const ValueName = z.string().trim().min(1, "must not be empty");
const Hours = z.number().min(0);
const Days = z.number().int().min(1).max(365);
/** Hysteresis: how long a lower value must hold before it is written (0: at once). */
const HoldDays = z.number().int().min(0).max(365);
/** DX allows 1,000 per minute per account; Coder 512 per endpoint by default. */
const RequestsPerMinute = z.number().int().min(1).max(60_000);
const TimeoutMs = z.number().int().min(100).max(600_000);
const RetryBaseMs = z.number().int().min(0).max(60_000);
/** How long one request may keep retrying in all (429s included). */
const MaxRetryTimeMs = z.number().int().min(0).max(3_600_000);

/** A duration as people write one (`30s`, `5m`, `1h`), read as milliseconds; at least 10 s. */
const Duration = z
  .string()
  .trim()
  .regex(/^\d+(s|m|h)$/, "must be a number and a unit: 30s, 5m or 1h")
  .transform(
    (value) =>
      Number(value.slice(0, -1)) *
      { s: 1000, m: 60_000, h: 3_600_000 }[value.slice(-1) as "s" | "m" | "h"],
  )
  .refine((ms) => ms >= 10_000 && ms <= 86_400_000, "must be between 10s and 24h");

/** The remote-service settings both Coder and DX share. */
const remote = {
  url: z.url().optional(),
  timeoutMs: TimeoutMs.default(30_000),
  maxAttempts: z.number().int().min(1).max(20).default(5),
  /** First retry delay; later ones double, with jitter. */
  retryBaseMs: RetryBaseMs.default(500),
  /**
   * Total retry time per request. DX counts its limit over a 60-second sliding window shared
   * with other integrations: a 429 without Retry-After is ridden out past that window.
   */
  maxRetryTimeMs: MaxRetryTimeMs.default(90_000),
};

/**
 * Where an extra group's value comes from: a field of the Coder user (`loginType`, `siteRole`,
 * `organization`, `aiSeat`: has_ai_seat, Yes/No), the template the person spent the most hours
 * in over the usage window (`template`), or their Coder group (`group`, Premium).
 */
export const EXTRA_SOURCES = [
  "loginType",
  "siteRole",
  "organization",
  "template",
  "group",
  "aiSeat",
] as const;
export type ExtraSource = (typeof EXTRA_SOURCES)[number];

/** A declarative rule for an extra attribute group: which Coder field, and how its values map. */
export const ExtraGroup = z
  .object({
    name: GroupName,
    from: z.enum(EXTRA_SOURCES),
    /**
     * Coder value → DX value; values missing here pass through unchanged unless `default` is
     * set. For `group`, the groups that count, in priority order (the others are ignored); for
     * `template`, a template's name (or display name) → the value; for `aiSeat`, Yes / No.
     */
    map: z.record(z.string(), ValueName).default({}),
    /** Used when the Coder value is missing or not in `map` (null: leave the group empty). */
    default: ValueName.nullable().optional(),
    /** `template` and `group`: the value for someone with no usage in the window, or in no group. */
    none: ValueName.default("None"),
  })
  .strict()
  .superRefine((group, ctx) => {
    if (group.from === "group" && Object.keys(group.map).length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["map"],
        message:
          "from: group needs a map: the Coder groups that count, in priority order, each with its DX value",
      });
    if (
      (group.from === "template" || group.from === "group" || group.from === "aiSeat") &&
      group.default !== undefined
    )
      ctx.addIssue({
        code: "custom",
        path: ["default"],
        message: `from: ${group.from} has no default: ${group.from === "aiSeat" ? "everyone has a seat or not" : "`none` is the value for someone with none"}`,
      });
  });
export type ExtraGroup = z.infer<typeof ExtraGroup>;

export const PropertyMapping = z
  .object({
    name: z.enum([
      "github_username",
      "gitlab_username",
      "additional_github_username",
      "start_date",
    ]),
    from: z.enum(["username", "createdDate"]),
    when: z.object({ loginType: z.string().optional() }).strict().default({}),
  })
  .strict();
export type PropertyMapping = z.infer<typeof PropertyMapping>;

export const NOTIFY_EVENTS = ["failed", "halted", "partial", "succeeded"] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** A webhook told when a run ends: a JSON body signed with HMAC-SHA256, or a Slack message. */
export const Webhook = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    /** The run outcomes it wants; an interrupted run is reported as `failed`. */
    events: z
      .array(z.enum(NOTIFY_EVENTS))
      .min(1, "name at least one event")
      .default(["failed", "halted", "partial"]),
    format: z.enum(["json", "slack"]).default("json"),
    /** Signs the body (`X-Coder-DX-Signature: sha256=<hex>`); write it as `${VAR}`. */
    secret: z.string().min(16, "must be at least 16 characters").optional(),
    timeoutMs: TimeoutMs.default(10_000),
    maxAttempts: z.number().int().min(1).max(10).default(4),
  })
  .strict();
export type Webhook = z.infer<typeof Webhook>;

export const Config = z
  .object({
    coder: z
      .object({
        ...remote,
        /** Normally from CODER_SESSION_TOKEN; here only as a `${VAR}` reference. */
        token: z.string().min(1).optional(),
        usageWindowDays: z.number().int().min(1).max(365).default(28),
        requestsPerMinute: RequestsPerMinute.default(300),
      })
      .strict()
      .prefault({}),
    dx: z
      .object({
        ...remote,
        /** Normally from DX_API_TOKEN; here only as a `${VAR}` reference. */
        token: z.string().min(1).optional(),
        requestsPerMinute: RequestsPerMinute.default(600),
        concurrency: z.number().int().min(1).max(256).default(8),
        readBack: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    groups: z
      .object({
        status: z
          .object({
            name: GroupName.default("Coder"),
            values: z
              .object({
                active: ValueName.default("Active"),
                dormant: ValueName.default("Dormant"),
                suspended: ValueName.default("Suspended"),
                former: ValueName.default("Former user"),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
        usage: z
          .object({
            name: GroupName.default("Coder usage level"),
            /** What the levels count: active hours (the default) or active days in the window. */
            measure: z.enum(["hours", "activeDays"]).default("hours"),
            heavyHours: Hours.default(40),
            moderateHours: Hours.default(10),
            heavyDays: Days.default(12),
            moderateDays: Days.default(4),
            /** A level moves down only after the lower one was computed this many days running. */
            downgradeAfterDays: HoldDays.default(0),
            values: z
              .object({
                heavy: ValueName.default("Heavy"),
                moderate: ValueName.default("Moderate"),
                light: ValueName.default("Light"),
                none: ValueName.default("None"),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
        /** How often people use Coder, opt-in: Daily, Weekly, Monthly or None. */
        frequency: z
          .object({
            name: GroupName.default("Coder usage frequency"),
            /** Daily: active on at least this many days of the window. */
            dailyDays: Days.default(15),
            /** Weekly: active in at least this many of the window's weeks. */
            weeklyWeeks: z.number().int().min(1).max(53).default(3),
            values: z
              .object({
                daily: ValueName.default("Daily"),
                weekly: ValueName.default("Weekly"),
                monthly: ValueName.default("Monthly"),
                none: ValueName.default("None"),
              })
              .strict()
              .prefault({}),
            downgradeAfterDays: HoldDays.default(7),
          })
          .strict()
          .nullable()
          .default(null),
        extra: z.array(ExtraGroup).default([]),
      })
      .strict()
      .prefault({}),
    properties: z.array(PropertyMapping).default([]),
    identities: z
      .object({
        /** Coder username or email → DX email. */
        overrides: z
          .record(z.string(), z.string().refine(isEmailAddress, "not an email address"))
          .default({}),
        /** Email domain → email domain. */
        domainRewrites: z
          .record(
            z.string(),
            z.string().refine(isDomainName, "not a domain name (like example.com)"),
          )
          .default({}),
        /** Usernames or emails, `*` wildcards. */
        exclude: z.array(z.string().trim().min(1, "must not be empty")).default([]),
      })
      .strict()
      .superRefine((identities, ctx) => {
        // A key that cannot match anything would silently do nothing: say so instead.
        for (const key of Object.keys(identities.overrides))
          if (key.trim() === "")
            ctx.addIssue({
              code: "custom",
              path: ["overrides", key],
              message: "must be a Coder username or email, not empty",
            });
        for (const key of Object.keys(identities.domainRewrites))
          if (!isDomainName(key))
            ctx.addIssue({
              code: "custom",
              path: ["domainRewrites", key],
              message: `"${key}" is not a domain name (like corp.example.net)`,
            });
      })
      .prefault({}),
    deprovision: z.enum(["mark", "clear", "ignore"]).default("mark"),
    nonUsers: ValueName.nullable().default(null),
    drift: z.enum(["overwrite", "respect"]).default("overwrite"),
    safety: z
      .object({
        maxRemovals: z.number().int().min(0).default(5),
        maxRemovalsPercent: z.number().min(0).max(100).default(10),
        /**
         * Extra groups: a run that would move more than this share of the people it tracks from
         * one value to another in one group halts (a template renamed, a group sync gone wrong).
         */
        maxChangedPercent: z.number().min(0).max(100).default(50),
        minSourceRatio: z.number().min(0).max(1).default(0.5),
        allowNewGroups: z.union([z.boolean(), z.array(z.string())]).default(false),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        /** Audit rows and runs older than this are pruned after each run; null keeps all. */
        days: z.number().int().min(1).max(36_500).nullable().default(null),
      })
      .strict()
      .prefault({}),
    /** Live: Coder's notifications as hints, and a status pass for what sends none. */
    live: z
      .object({
        /**
         * The secret in the URL Coder posts its notifications to (`/v1/hooks/coder/<secret>`):
         * Coder signs nothing and sends no custom header, so the URL is the only place for it.
         * Write it as `${CODER_DX_HOOK_SECRET}`. Null: no hook (every hook path answers 404).
         */
        hookSecret: z
          .string()
          .min(32, "must be at least 32 characters (openssl rand -hex 24 makes one)")
          .regex(
            /^[A-Za-z0-9._~-]+$/,
            "may hold only letters, digits and . _ ~ - (it is a URL path segment)",
          )
          .nullable()
          .default(null),
        /** How often `serve` runs a status-only pass (`30s`, `5m`, `1h`); null: never. */
        statusEvery: Duration.nullable().default(null),
      })
      .strict()
      .prefault({}),
    /** PlatformX: Coder's occurrences as DX events (`events.track`), once each, for the subject. */
    platformx: z
      .object({
        /**
         * A PlatformX project token (not the organisation token: DX keeps them apart); write it
         * as `${DX_PLATFORMX_TOKEN}`. Null: PlatformX off.
         */
        token: z.string().min(1).nullable().default(null),
        /**
         * Coder notification name → PlatformX event name. Default, once a token is set: the six
         * in DEFAULT_PLATFORMX_EVENTS. A personal copy ("Your account has been suspended") is the
         * admins' occurrence: map the admins' name.
         */
        events: z
          .record(
            z.string().refine((name) => platformxKindOf(name) !== null, {
              error: (issue) =>
                `coder-dx cannot tell whom "${String(issue.input)}" notifications are about; it maps ${Object.keys(DEFAULT_PLATFORMX_EVENTS).join(", ")}`,
            }),
            z
              .string()
              .trim()
              .min(1, "must not be empty")
              .max(100, "must be at most 100 characters"),
          )
          .nullable()
          .default(null),
        /**
         * Send again an event whose answer was lost (a kill, a timeout): DX may have it, so this
         * trades a duplicate for a gap. Off by default: such an event stays `unknown`.
         */
        resendUnknown: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    notify: z.array(Webhook).default([]),
    /** The API's public address, for links in notifications (`<publicUrl>/v1/runs/<id>`). */
    publicUrl: z.url().optional(),
    server: z
      .object({
        /** `role:token` or `role:sha256:<hex>` entries, added to CODER_DX_API_TOKENS. */
        apiTokens: z
          .array(
            z
              .string()
              .regex(
                /^(viewer|operator|admin):.+$/,
                "must be role:token with role viewer, operator or admin",
              ),
          )
          .default([]),
        /** A cron expression: scheduled runs, as `serve --schedule`. */
        schedule: z.string().min(1).nullable().default(null),
        /**
         * How long a stopping run (`serve` on SIGTERM, `sync` on Ctrl-C) lets writes in flight
         * land before aborting them; within Kubernetes' default 30 s grace period.
         */
        drainMs: z.number().int().min(0).max(60_000).default(7000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine(refuseWrongWrites);
export type Config = z.infer<typeof Config>;
export type ConfigInput = z.input<typeof Config>;

type ConfigShape = {
  groups: {
    status: { name: string; values: Record<string, string> };
    usage: {
      name: string;
      heavyHours: number;
      moderateHours: number;
      heavyDays: number;
      moderateDays: number;
      values: Record<string, string>;
    };
    frequency: { name: string; values: Record<string, string> } | null;
    extra: { name: string }[];
  };
  nonUsers: string | null;
};

/**
 * Settings that are each valid but together would write the wrong thing: DX matches group
 * names case-insensitively, so two owned groups differing only by case are one group written
 * twice; two levels with one value name cannot be told apart in DX's reports.
 */
function refuseWrongWrites(config: ConfigShape, ctx: z.RefinementCtx): void {
  const { status, usage, frequency, extra } = config.groups;
  const owned: [string, string][] = [
    ["groups.status.name", status.name],
    ["groups.usage.name", usage.name],
    ...(frequency ? [["groups.frequency.name", frequency.name] as [string, string]] : []),
    ...extra.map((g, i): [string, string] => [`groups.extra.${i}.name`, g.name]),
  ];
  const seen = new Map<string, string>();
  for (const [path, name] of owned) {
    const first = seen.get(name.toLowerCase());
    if (first !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: path.split("."),
        message: `"${name}" is the same DX attribute group as ${first} (DX compares group names case-insensitively)`,
      });
    } else seen.set(name.toLowerCase(), path);
  }
  if (usage.heavyHours < usage.moderateHours) {
    ctx.addIssue({
      code: "custom",
      path: ["groups", "usage", "heavyHours"],
      message: `must be at least moderateHours (${usage.moderateHours})`,
    });
  }
  if (usage.heavyDays < usage.moderateDays) {
    ctx.addIssue({
      code: "custom",
      path: ["groups", "usage", "heavyDays"],
      message: `must be at least moderateDays (${usage.moderateDays})`,
    });
  }
  for (const [group, values] of [
    ["status", status.values],
    ["usage", usage.values],
    ...(frequency ? [["frequency", frequency.values] as const] : []),
  ] as const) {
    const names = new Map<string, string>();
    for (const [key, value] of Object.entries(values)) {
      const other = names.get(value.toLowerCase());
      if (other !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["groups", group, "values", key],
          message: `"${value}" is also the value for ${other}; each value must be distinct`,
        });
      } else names.set(value.toLowerCase(), key);
    }
  }
  if (
    config.nonUsers !== null &&
    Object.values(status.values).some((v) => v.toLowerCase() === config.nonUsers?.toLowerCase())
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["nonUsers"],
      message: `"${config.nonUsers}" is already a value of the ${status.name} group for Coder users`,
    });
  }
}

export function defaultConfig(): Config {
  return Config.parse({});
}
