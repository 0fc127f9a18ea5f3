import { BASELINE_RUN, FULL_RUN_TRIGGERS } from "../domain/run";
import { type EventContext, eventsFromNotifications, eventsFromPlan } from "../domain/platformx";
import { toErrorInfo } from "../errors";
import type { NewEvent, Notification, Run, SyncStore } from "../ports";
import { followedEvents } from "./platformx";
import type { PreparedPlan } from "./prepare-plan";
import type { RunContext } from "./run-sync";

/** Workspaces looked up at once for their `created_at`. */
const LOOKUPS_AT_ONCE = 8;

/**
 * When the previous pass over everyone began (a real full run or status pass that completed):
 * someone Coder created after it is new to this one. Null when PlatformX is off, or there was
 * none (the first pass sends no `created` for everyone already there).
 */
export function previousPassStart(
  store: Pick<SyncStore, "newestRun">,
  ctx: RunContext,
): string | null {
  if (ctx.options.config.platformx.token === null) return null;
  return (
    store.newestRun({ ...BASELINE_RUN, triggers: [...FULL_RUN_TRIGGERS, "status"] })?.startedAt ??
    null
  );
}

/**
 * Records the PlatformX events a finished run stands for, before anything is sent: one per
 * occurrence its notifications report (`source: webhook`), then the status transitions a
 * complete pass over everyone wrote that none reported (`source: pass`). Returns what became of
 * each notification's occurrence, for its settlement; null when the store could not record the
 * events (the notifications then wait for the next run, which derives them again).
 */
export async function recordRunEvents(input: {
  ctx: RunContext;
  run: Run;
  /** The notifications the run covers (followed kinds, waiting when it began). */
  hints: readonly Notification[];
  prepared: PreparedPlan | null;
  confirmed: ReadonlyMap<string, string>;
  previousPassAt: string | null;
}): Promise<Map<string, string> | null> {
  const { ctx, run, hints, prepared } = input;
  const { store } = ctx.deps;
  const names = followedEvents(ctx.options.config);
  const notes = new Map<string, string>();
  if (names.size === 0) return notes;
  const followed = hints.filter((h) => names.has(h.kind));
  if (run.status === "halted") {
    for (const hint of followed)
      notes.set(hint.id, "PlatformX: not sent: the run halted at a brake");
    return notes;
  }
  const eventCtx: EventContext = {
    config: ctx.options.config,
    names,
    accounts: prepared?.accounts ?? null,
    state: prepared?.state ?? new Map(),
    workspaceCreatedAt: await workspacesCreatedAt(ctx, followed),
    lastEventFor: (who, eventNames) => store.lastEventFor(who, eventNames),
    runId: run.id,
    now: ctx.clock.now().toISOString(),
  };
  try {
    const fromHooks = eventsFromNotifications(followed, eventCtx);
    for (const [id, note] of fromHooks.notes) notes.set(id, note);
    // Recorded before the pass's are derived: a transition a notification reported is its.
    const recorded = store.recordEvents(fromHooks.events).length;
    const isPass =
      prepared !== null &&
      !run.dryRun &&
      !run.scoped &&
      (run.status === "succeeded" || run.status === "partial") &&
      (run.trigger === "status" || FULL_RUN_TRIGGERS.includes(run.trigger));
    const fromPass: NewEvent[] = isPass
      ? eventsFromPlan({
          plan: prepared.plan,
          confirmed: input.confirmed,
          createdAt: prepared.createdAt,
          previousPassAt: input.previousPassAt,
          ctx: eventCtx,
        })
      : [];
    const passRecorded = store.recordEvents(fromPass).length;
    if (recorded + passRecorded > 0)
      ctx.log.info("PlatformX events recorded", {
        runId: run.id,
        webhook: recorded,
        pass: passRecorded,
        invalid: [...fromHooks.events, ...fromPass].filter((e) => e.outcome === "invalid").length,
      });
    return notes;
  } catch (error) {
    ctx.log.error("could not record PlatformX events; the notifications wait for the next run", {
      runId: run.id,
      message: toErrorInfo(error).message,
    });
    return null;
  }
}

/**
 * Coder's `created_at` for the workspaces the notifications report created
 * (GET /api/v2/workspaces/{id}). One Coder cannot answer for is left out: its event takes the
 * time its first notification arrived.
 */
async function workspacesCreatedAt(
  ctx: RunContext,
  hints: readonly Notification[],
): Promise<Map<string, string>> {
  const ids = [
    ...new Set(
      hints
        .filter((h) => h.kind === "workspace_created")
        .map((h) => h.details?.workspaceId)
        .filter((id) => id !== undefined),
    ),
  ];
  const found = new Map<string, string>();
  for (let i = 0; i < ids.length && !ctx.stopSignal.aborted; i += LOOKUPS_AT_ONCE)
    await Promise.all(
      ids.slice(i, i + LOOKUPS_AT_ONCE).map(async (id) => {
        try {
          const workspace = await ctx.deps.coder.getWorkspace(id, { signal: ctx.stopSignal });
          if (workspace) found.set(id, workspace.created_at);
        } catch (error) {
          ctx.log.warn(
            "could not read a workspace's creation time; its event takes the notification's",
            {
              workspaceId: id,
              message: toErrorInfo(error).message,
            },
          );
        }
      }),
    );
  return found;
}
