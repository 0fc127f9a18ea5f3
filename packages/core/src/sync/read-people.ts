import { usageWindow } from "../clients/coder-client";
import type { Config } from "../config/schema";
import { type MappedUsers, mapCoderUsers } from "../domain/mapping";
import type { CoderSource } from "../ports";

/** Read Coder and map it: the people and attributes coder-dx would want in DX (`export`). */
export async function readPeople(
  coder: CoderSource,
  config: Config,
  now: Date,
  signal?: AbortSignal,
): Promise<MappedUsers> {
  const window = usageWindow(now, config.coder.usageWindowDays);
  const [users, me, usage] = await Promise.all([
    coder.listUsers({ signal }),
    coder.getMe({ signal }),
    coder.getUserActivity(window.start, window.end, { signal }),
  ]);
  return mapCoderUsers({ users, usageSeconds: usage, tokenOwnerId: me.id, config });
}
