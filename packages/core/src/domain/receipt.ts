import type { ChangeReceipt } from "../ports";
import type { UserState } from "./plan";

/**
 * A person's state after a receipt: DX confirmed values (merged into what it held) or refused
 * the email as unknown (remembered, with what it was offered, nothing else changed). Every
 * SyncStore settles receipts through this one rule.
 */
export function stateAfterReceipt(
  current: UserState | null,
  receipt: ChangeReceipt & { state: NonNullable<ChangeReceipt["state"]> },
): UserState {
  const update = receipt.state;
  const base: UserState = current ?? {
    email: update.email,
    coderUserId: update.coderUserId,
    username: null,
    attributes: {},
    properties: {},
    updatedAt: receipt.at,
    unmatchedAt: null,
    unmatchedAttributes: null,
  };
  if (update.type === "unmatched")
    return { ...base, unmatchedAt: receipt.at, unmatchedAttributes: update.attributes };
  const field = update.kind === "attributes" ? "attributes" : "properties";
  return {
    ...base,
    [field]: { ...base[field], ...update.values },
    coderUserId: update.coderUserId,
    updatedAt: receipt.at,
    unmatchedAt: null,
    unmatchedAttributes: null,
  };
}
