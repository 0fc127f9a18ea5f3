import type { CoderClient } from "../clients/coder-client";
import { usageWindow } from "../clients/coder-client";
import type { DxClient } from "../clients/dx-client";
import { toErrorInfo } from "../errors";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failed check. */
  fix: string | null;
}

export interface DoctorDeps {
  configSource: string;
  coder: Pick<CoderClient, "getBuildInfo" | "getMe" | "countUsers" | "getUserActivity"> | null;
  dx: Pick<DxClient, "probeRead" | "probeWrite" | "listAttributeGroups"> | null;
  /** Opens the database and proves it can be written; throws when not. */
  checkDatabase: () => string;
  now: Date;
  /**
   * Live as configured: where `serve` answers (`publicUrl`, or null when unknown) and whether a
   * hook secret and a status pass are set. Reported, never probed.
   */
  live?: { publicUrl: string | null; hookSecret: boolean; statusEveryMs: number | null };
  /**
   * PlatformX as configured, checked for shape only (a probe would be an event): the token's
   * problem, if it plainly has one, the events followed, and DX's last refusal of the token
   * (from the outbox), if no event was sent since.
   */
  platformx?: {
    token: "off" | "set";
    problem: string | null;
    events: readonly string[];
    refused: { at: string; message: string } | null;
  };
}

/** How `doctor` names a duration in the config's own words (`5m`). */
function every(ms: number): string {
  return ms % 3_600_000 === 0
    ? `${ms / 3_600_000}h`
    : ms % 60_000 === 0
      ? `${ms / 60_000}m`
      : `${ms / 1000}s`;
}

const READERS = ["owner", "auditor", "template-admin"];

async function check(
  name: string,
  fix: string,
  probe: () => Promise<string> | string,
): Promise<Check> {
  try {
    return { name, ok: true, detail: await probe(), fix: null };
  } catch (error) {
    return { name, ok: false, detail: toErrorInfo(error).message, fix };
  }
}

/** Every reason a sync could fail before it starts, each with its fix. Never writes to Coder or DX. */
export async function diagnose(deps: DoctorDeps): Promise<Check[]> {
  const checks: Check[] = [{ name: "config", ok: true, detail: deps.configSource, fix: null }];
  checks.push(
    await check("database", "set CODER_DX_DB (or --db) to a writable path", deps.checkDatabase),
  );

  const { coder, dx } = deps;
  if (!coder) {
    checks.push({
      name: "coder",
      ok: false,
      detail: "CODER_URL and CODER_SESSION_TOKEN are not both set",
      fix: "export CODER_URL and CODER_SESSION_TOKEN",
    });
  } else {
    const reachable = await check(
      "coder reachable",
      "check CODER_URL and that this machine can reach it",
      async () => `Coder ${(await coder.getBuildInfo()).version}`,
    );
    checks.push(reachable);
    if (reachable.ok) {
      const token = await check(
        "coder token",
        "use a token of a user with the Owner, Auditor or Template Admin role (coder tokens create --name coder-dx)",
        async () => {
          const me = await coder.getMe();
          const roles = me.roles.map((r) => r.name);
          if (!roles.some((r) => READERS.includes(r))) {
            throw new Error(
              `${me.username} has site roles [${roles.join(", ") || "member"}]; reading all users and insights needs Owner, Auditor or Template Admin`,
            );
          }
          return `valid, user ${me.username} (${roles.join(", ")})`;
        },
      );
      checks.push(token);
      if (token.ok) {
        checks.push(
          await check(
            "coder users",
            "give the token's user the Auditor role",
            async () => `can list ${await coder.countUsers()} users`,
          ),
        );
        checks.push(
          await check(
            "coder insights",
            "give the token's user the Auditor role, and keep usage stats collection enabled",
            async () => {
              const { end } = usageWindow(deps.now, 1);
              await coder.getUserActivity(new Date(end.getTime() - 86_400_000), end);
              return "can read insights/user-activity";
            },
          ),
        );
      }
    }
  }

  if (deps.live) {
    const { publicUrl, hookSecret, statusEveryMs } = deps.live;
    // The secret stays where it is: the URL is printed with a placeholder in its place.
    const url = `${publicUrl ?? "http(s)://<where coder-dx serve answers>"}/v1/hooks/coder/<live.hookSecret>`;
    checks.push({
      name: "live: Coder's notifications",
      ok: true,
      detail: hookSecret
        ? `configured; on the Coder server set CODER_NOTIFICATIONS_METHOD=webhook and CODER_NOTIFICATIONS_WEBHOOK_ENDPOINT=${url}`
        : "off (set live.hookSecret, e.g. ${CODER_DX_HOOK_SECRET}, to take them)",
      fix: null,
    });
    checks.push({
      name: "live: status pass",
      ok: true,
      detail:
        statusEveryMs === null
          ? "off (live.statusEvery, e.g. 5m, runs one in serve)"
          : `every ${every(statusEveryMs)} in serve`,
      fix: null,
    });
  }

  if (deps.platformx) {
    const { token, problem, events, refused } = deps.platformx;
    checks.push(
      token === "off"
        ? {
            name: "platformx",
            ok: true,
            detail:
              "off (set platformx.token, e.g. ${DX_PLATFORMX_TOKEN}, to a PlatformX project token to send events)",
            fix: null,
          }
        : problem
          ? {
              name: "platformx token",
              ok: false,
              detail: problem,
              fix: "set platformx.token to the PlatformX project's token (DX: PlatformX → project settings)",
            }
          : refused
            ? {
                name: "platformx token",
                ok: false,
                detail: `DX refused it at ${refused.at} (${refused.message}); events wait, attribute runs go on`,
                fix: "set platformx.token to the PlatformX project's token (DX: PlatformX → project settings)",
              }
            : {
                name: "platformx",
                ok: true,
                detail: `token set (its shape checked; no event is sent to probe it); sends ${events.join(", ")}`,
                fix: null,
              },
    );
  }

  if (!dx) {
    checks.push({
      name: "dx",
      ok: false,
      detail: "DX_API_TOKEN is not set",
      fix: "export DX_API_TOKEN (a DX organization token)",
    });
  } else {
    const read = await check(
      "dx token (users:read)",
      "use a DX organization token with users:read, users:write and snapshots:read; check DX_API_URL",
      async () => {
        const total = await dx.probeRead();
        return `valid; users.list shows ${total ?? "some"} users`;
      },
    );
    checks.push(read);
    if (read.ok) {
      checks.push(
        await check(
          "dx attribute groups (snapshots:read)",
          "add the snapshots:read scope to the DX token",
          async () => `${(await dx.listAttributeGroups()).size} attribute groups`,
        ),
      );
      checks.push(
        await check(
          "dx writes (users:write)",
          "add the users:write scope to the DX token",
          async () => {
            await dx.probeWrite();
            return "users.attributes.update allowed (probed without changing anything)";
          },
        ),
      );
    }
  }
  return checks;
}
