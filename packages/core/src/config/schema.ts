import { z } from "zod";

const GroupName = z.string().trim().min(1, "must not be empty");
const Hours = z.number().min(0);

/** A declarative rule for an extra attribute group: which Coder field, and how its values map. */
export const ExtraGroup = z
  .object({
    name: GroupName,
    from: z.enum(["loginType", "siteRole", "organization"]),
    /** Coder value → DX value; values missing here pass through unchanged unless `default` is set. */
    map: z.record(z.string(), z.string()).default({}),
    /** Used when the Coder value is missing or not in `map` (null: leave the group empty). */
    default: z.string().nullable().optional(),
  })
  .strict();
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

export const Config = z
  .object({
    coder: z
      .object({
        url: z.url().optional(),
        /** Normally from CODER_SESSION_TOKEN; here only as a `${VAR}` reference. */
        token: z.string().min(1).optional(),
        usageWindowDays: z.number().int().min(1).max(365).default(28),
        requestsPerMinute: z.number().int().min(1).default(300),
        timeoutMs: z.number().int().min(100).default(30_000),
        maxAttempts: z.number().int().min(1).max(20).default(5),
        /** First retry delay; later ones double, with jitter. */
        retryBaseMs: z.number().int().min(0).default(500),
      })
      .strict()
      .prefault({}),
    dx: z
      .object({
        url: z.url().optional(),
        /** Normally from DX_API_TOKEN; here only as a `${VAR}` reference. */
        token: z.string().min(1).optional(),
        requestsPerMinute: z.number().int().min(1).max(100_000).default(600),
        concurrency: z.number().int().min(1).max(256).default(8),
        readBack: z.boolean().default(true),
        timeoutMs: z.number().int().min(100).default(30_000),
        maxAttempts: z.number().int().min(1).max(20).default(5),
        /** First retry delay; later ones double, with jitter. */
        retryBaseMs: z.number().int().min(0).default(500),
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
                active: z.string().default("Active"),
                dormant: z.string().default("Dormant"),
                suspended: z.string().default("Suspended"),
                former: z.string().default("Former user"),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
        usage: z
          .object({
            name: GroupName.default("Coder usage level"),
            heavyHours: Hours.default(40),
            moderateHours: Hours.default(10),
            values: z
              .object({
                heavy: z.string().default("Heavy"),
                moderate: z.string().default("Moderate"),
                light: z.string().default("Light"),
                none: z.string().default("None"),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
        extra: z.array(ExtraGroup).default([]),
      })
      .strict()
      .prefault({}),
    properties: z.array(PropertyMapping).default([]),
    identities: z
      .object({
        overrides: z.record(z.string(), z.string()).default({}),
        domainRewrites: z.record(z.string(), z.string()).default({}),
        exclude: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    deprovision: z.enum(["mark", "clear", "ignore"]).default("mark"),
    nonUsers: z.string().min(1).nullable().default(null),
    drift: z.enum(["overwrite", "respect"]).default("overwrite"),
    safety: z
      .object({
        maxRemovals: z.number().int().min(0).default(5),
        maxRemovalsPercent: z.number().min(0).max(100).default(10),
        minSourceRatio: z.number().min(0).max(1).default(0.5),
        allowNewGroups: z.union([z.boolean(), z.array(z.string())]).default(false),
      })
      .strict()
      .prefault({}),
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
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type Config = z.infer<typeof Config>;
export type ConfigInput = z.input<typeof Config>;

export function defaultConfig(): Config {
  return Config.parse({});
}
