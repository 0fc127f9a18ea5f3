import { z } from "zod";

export const CoderUserStatus = z.enum(["active", "dormant", "suspended"]);
export type CoderUserStatus = z.infer<typeof CoderUserStatus>;

/** `codersdk.User` as `GET /api/v2/users` returns it; optional fields are omitted when empty. */
export const CoderUser = z.object({
  id: z.string().min(1),
  username: z.string(),
  name: z.string().optional(),
  email: z.string(),
  status: CoderUserStatus,
  login_type: z.string(),
  is_service_account: z.boolean().optional(),
  organization_ids: z.array(z.string()).default([]),
  roles: z.array(z.object({ name: z.string(), display_name: z.string().optional() })).default([]),
  created_at: z.string().optional(),
  last_seen_at: z.string().optional(),
  /** An AI governance seat (v2.32+; absent before). */
  has_ai_seat: z.boolean().optional(),
});
export type CoderUser = z.infer<typeof CoderUser>;

/** `codersdk.Template` as `GET /api/v2/templates` returns it, as far as a segment needs. */
export const CoderTemplate = z.object({
  id: z.string().min(1),
  name: z.string(),
  display_name: z.string().optional(),
});
export type CoderTemplate = z.infer<typeof CoderTemplate>;

/**
 * `codersdk.Group` as `GET /api/v2/groups` returns it (Premium): its members inline, and how
 * many there are (more than listed when the token may not read them all).
 */
export const CoderGroup = z.object({
  id: z.string().min(1),
  name: z.string(),
  display_name: z.string().optional(),
  organization_id: z.string(),
  members: z.array(z.object({ id: z.string() })).nullish(),
  total_member_count: z.number().int().optional(),
});
export type CoderGroup = z.infer<typeof CoderGroup>;

export const CoderUsersPage = z.object({ users: z.array(CoderUser), count: z.number().int() });

/** One row of an insights/user-activity report. */
export const CoderActivityRow = z.object({
  user_id: z.string(),
  username: z.string(),
  // int64, "always a multiple of 60" (coderd/database/queries/insights.sql): never negative.
  seconds: z.number().int().nonnegative(),
});

/**
 * The report around its rows; each row is checked on its own (`CoderActivityRow`) as it is
 * read, so a 100,000-row report is not copied whole (28 of them make a frequency run).
 */
export const CoderUserActivity = z.object({
  report: z.object({
    start_time: z.string(),
    end_time: z.string(),
    users: z.array(z.unknown()),
  }),
});

export const CoderBuildInfo = z.object({ version: z.string() });

/** Older servers omit `is_service_account`; their service accounts have no email and login type `none`. */
export function isServiceAccount(user: CoderUser): boolean {
  return user.is_service_account === true || (user.email === "" && user.login_type === "none");
}
