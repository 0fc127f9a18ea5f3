import {
  ChangeKind,
  ChangeOutcome,
  cursorProblem,
  isCursor,
  RunCounts,
  RunStatus,
  RunTrigger,
  type TimeBound,
  timeParameter,
} from "@coder-dx/core";
import { z } from "@hono/zod-openapi";

const ErrorInfo = z.object({ code: z.string(), message: z.string() }).nullable();
const Values = z.record(z.string(), z.string().nullable()).nullable();

export const RunSchema = z
  .object({
    id: z.string().openapi({ example: "42" }),
    status: RunStatus,
    dryRun: z.boolean(),
    trigger: RunTrigger,
    startedAt: z.string().openapi({ format: "date-time" }),
    finishedAt: z.string().nullable().openapi({ format: "date-time" }),
    error: ErrorInfo,
    counts: RunCounts,
    sourceCount: z.number().int().nullable(),
    scoped: z.boolean(),
  })
  .openapi("Run");

export const ChangeSchema = z
  .object({
    id: z.string(),
    runId: z.string(),
    at: z.string().openapi({ format: "date-time" }),
    email: z.string(),
    coderUserId: z.string().nullable(),
    kind: ChangeKind,
    action: z.string(),
    before: Values,
    after: Values,
    observed: Values,
    outcome: ChangeOutcome,
    error: ErrorInfo,
    attempts: z.number().int(),
    note: z.string().nullable(),
    evidence: z
      .object({
        hours: z.number(),
        activeDays: z.number().int().nullable(),
        activeWeeks: z.number().int().nullable(),
        window: z.object({ start: z.string(), end: z.string(), days: z.number().int() }).nullable(),
        held: z
          .array(
            z.object({
              group: z.string(),
              value: z.string(),
              computed: z.string(),
              until: z.string(),
            }),
          )
          .optional(),
        templates: z
          .array(z.object({ template: z.string(), hours: z.number() }))
          .optional()
          .openapi({ description: "the templates with the most hours (`from: template`)" }),
      })
      .nullable()
      .openapi({
        description:
          "what decided the usage values: hours, active days and weeks, holds, top templates",
      }),
  })
  .openapi("Change");

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "run_in_progress" }),
      message: z.string(),
      requestId: z.string(),
    }),
  })
  .openapi("Error");

/** The CLI's date parser: a date alone is a whole UTC day. */
const Time = (bound: TimeBound, description: string) =>
  timeParameter(bound).openapi({ type: "string", description });

/** core's one cursor rule: a malformed cursor is a 400 with the message every store gives. */
export const Cursor = z
  .string()
  .refine(isCursor, { error: (issue) => cursorProblem(String(issue.input)) })
  .optional()
  .openapi({ type: "string", description: "the nextCursor of the previous page" });
export const Limit = z.coerce
  .number()
  .int()
  .min(1)
  .max(1000)
  .default(50)
  .openapi({ type: "integer", minimum: 1, maximum: 1000, default: 50 });

export const ChangesQuery = z.object({
  email: z.string().min(1).optional(),
  runId: z.string().regex(/^\d+$/, "must be a run id").optional(),
  outcome: ChangeSchema.shape.outcome.optional(),
  since: Time("since", "rows at or after this time; a date alone is its 00:00 UTC").optional(),
  until: Time(
    "until",
    "rows before this time; a date alone includes that whole UTC day",
  ).optional(),
  limit: Limit,
  cursor: Cursor,
});

export const RunsQuery = z.object({ limit: Limit, cursor: Cursor });

export const StartRunBody = z
  .object({
    dryRun: z.boolean().default(false),
    force: z
      .boolean()
      .default(false)
      .openapi({ description: "apply past the brakes; needs the admin role" }),
    emails: z
      .array(z.email())
      .max(1000)
      .default([])
      .openapi({ description: "limit the run to these people" }),
  })
  .strict();

export const UserQuery = z.object({
  at: Time("at", "the state on this date (end of that UTC day) or at this time").optional(),
});

export const UserSchema = z
  .object({
    user: z.object({
      email: z.string(),
      coderUserId: z.string().nullable(),
      attributes: z.record(z.string(), z.string().nullable()),
      updatedAt: z.string().nullable(),
    }),
    history: z.array(ChangeSchema),
  })
  .openapi("UserHistory");

export function errorResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: "invalid input",
    401: "missing or unknown token",
    403: "the token's role may not do this",
    404: "not found",
    409: "another run holds the lease",
    413: "request body too large",
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? "error",
        content: { "application/json": { schema: ErrorSchema } },
      },
    ]),
  );
}

export const ReportQuery = z
  .object({
    at: Time("at", "the counts on this date (end of that UTC day) or at this time").optional(),
    from: Time("at", "movements from this date (end of that UTC day)").optional(),
    to: Time("at", "movements to this date (end of that UTC day)").optional(),
  })
  .refine((q) => (q.from === undefined) === (q.to === undefined), {
    message: "give from and to together",
    path: ["from"],
  })
  .refine((q) => !(q.from && q.to && q.from > q.to), {
    message: "from must not be after to",
    path: ["from"],
  });

const Counts = z.record(z.string(), z.record(z.string(), z.number().int()));

export const ReportSchema = z
  .object({
    report: z.object({ at: z.string(), groups: Counts }).optional(),
    movement: z
      .object({
        from: z.string(),
        to: z.string(),
        groups: z.record(
          z.string(),
          z.object({
            matrix: Counts,
            up: z.number().int(),
            down: z.number().int(),
            joined: z.number().int(),
            left: z.number().int(),
            same: z.number().int(),
          }),
        ),
      })
      .optional(),
  })
  .openapi("Report");
