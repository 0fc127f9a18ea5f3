import { z } from "zod";

/** DX documents `"ok": "true"` (a string) in one example; both spellings mean success. */
export const DxOk = z.union([z.literal(true), z.literal("true")]);

export const DxAttribute = z.object({ name: z.string(), value: z.string().nullable() });

export const DxUser = z.object({
  id: z.string().optional(),
  email: z.string(),
  name: z.string().nullable().optional(),
  github_username: z.string().nullable().optional(),
  attributes: z.array(DxAttribute).default([]),
  deleted_at: z.string().nullable().optional(),
});
export type DxUser = z.infer<typeof DxUser>;

export const DxUsersPage = z.object({
  ok: DxOk,
  users: z.array(DxUser),
  next_page: z.number().int().nullable(),
  total: z.number().int().nonnegative().optional(),
  total_pages: z.number().int().nonnegative().optional(),
});

/**
 * `users.attributes.update`'s answer: *all* of the user's attributes, groups the request did
 * not name included, `updated: true` only where this request changed something (seeds/002).
 * What goes into `failures` is undocumented (reference/dx/API.md §8), so its entries stay raw.
 */
export const DxAttributesUpdateResponse = z.object({
  ok: DxOk,
  user: z.object({
    email: z.string().optional(),
    failures: z.array(z.unknown()).default([]),
    attributes: z
      .array(
        z.object({
          name: z.string(),
          value: z.string().nullable(),
          updated: z.boolean().optional(),
        }),
      )
      .default([]),
  }),
});
export type DxAttributesAnswer = z.infer<typeof DxAttributesUpdateResponse>["user"];

/** `users.update` answers with the user and its properties (the older docs page's example). */
export const DxUserUpdateResponse = z.object({
  ok: DxOk,
  user: z.record(z.string(), z.unknown()).optional(),
});
export type DxPropertiesAnswer = z.infer<typeof DxUserUpdateResponse>["user"];

export const DxAttributeGroups = z.object({
  ok: DxOk,
  attribute_groups: z.array(
    z.object({ id: z.string().optional(), name: z.string(), type: z.string().optional() }),
  ),
});

export const DxErrorBody = z.object({
  ok: z.union([z.literal(false), z.literal("false")]),
  error: z.string(),
  error_details: z.object({ message: z.string() }).partial().optional(),
});

/**
 * What coder-dx reads back from DX for one user: attribute values keyed by lower-cased group
 * name. A plain object, not a Map: 100,000 of these are held through a run.
 */
export interface DxObservedUser {
  email: string;
  attributes: Record<string, string | null>;
  githubUsername?: string | null;
}
