import { CoderDxError } from "../errors";
import { credentialsIn } from "../redact";
import { loadConfigFile } from "./load";
import { type Config, defaultConfig } from "./schema";

export const DEFAULT_DX_API_URL = "https://api.getdx.com";
export const DEFAULT_DB_PATH = "./coder-dx.db";

/** Everything a run needs to reach the outside world. Tokens live here and nowhere else. */
export interface Settings {
  config: Config;
  configPath: string | null;
  coderUrl: string;
  coderToken: string;
  dxUrl: string;
  dxToken: string;
  dbPath: string;
  /** Every secret the settings hold, for the redactor. */
  secrets: string[];
}

export interface SettingsFlags {
  config?: string | undefined;
  db?: string | undefined;
}

/**
 * Precedence, per the contract: flag > config file > environment > defaults.
 * Missing URLs and tokens are reported together so one attempt shows every gap.
 */
/** `CODER_DX_DB=postgres://…` (or `postgresql://`) selects the Postgres store; anything else is a SQLite path. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

function postgresPassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return "";
  }
}

export function resolveSettings(
  flags: SettingsFlags,
  env: NodeJS.ProcessEnv,
  options: { requireRemotes: boolean } = { requireRemotes: true },
): Settings {
  const configPath = flags.config ?? env.CODER_DX_CONFIG ?? null;
  const config = configPath ? loadConfigFile(configPath, env) : defaultConfig();
  const settings: Settings = {
    config,
    configPath,
    coderUrl: trimSlash(config.coder.url ?? env.CODER_URL ?? ""),
    coderToken: config.coder.token ?? env.CODER_SESSION_TOKEN ?? "",
    dxUrl: trimSlash(config.dx.url ?? env.DX_API_URL ?? DEFAULT_DX_API_URL),
    dxToken: config.dx.token ?? env.DX_API_TOKEN ?? "",
    dbPath: flags.db ?? env.CODER_DX_DB ?? DEFAULT_DB_PATH,
    secrets: [],
  };
  settings.secrets = [
    settings.coderToken,
    settings.dxToken,
    ...config.notify.flatMap((hook) => [hook.secret ?? "", secretOfUrl(hook.url)]),
    config.live.hookSecret ?? "",
    config.platformx.token ?? "",
    // A Postgres URL's password may not reach a log or an error; nor what any URL carries.
    ...(isPostgresUrl(settings.dbPath) ? [postgresPassword(settings.dbPath)] : []),
    ...[settings.coderUrl, settings.dxUrl, settings.dbPath].flatMap(credentialsIn),
  ].filter(Boolean);
  for (const [name, token] of [
    ["CODER_SESSION_TOKEN", settings.coderToken],
    ["DX_API_TOKEN", settings.dxToken],
  ] as const) {
    // A header cannot carry these, and the HTTP library's error would quote the token.
    if (/[\s\u0000-\u001f\u007f]/.test(token)) {
      throw new CoderDxError(
        "config_invalid",
        `${name} contains ${/[\r\n]/.test(token) ? "a line break" : "whitespace or a control character"}; it was not used (was it read from a file that ends with a newline?)`,
      );
    }
  }
  if (options.requireRemotes) {
    const missing = [
      settings.coderUrl ? null : "CODER_URL (or coder.url in the config)",
      settings.coderToken ? null : "CODER_SESSION_TOKEN",
      settings.dxToken ? null : "DX_API_TOKEN",
    ].filter((item) => item !== null);
    if (missing.length > 0) {
      throw new CoderDxError("config_invalid", `missing settings: ${missing.join(", ")}`);
    }
    for (const [name, url] of [
      ["CODER_URL", settings.coderUrl],
      ["DX_API_URL", settings.dxUrl],
    ] as const) {
      if (!URL.canParse(url))
        throw new CoderDxError("config_invalid", `${name}: not a valid URL: ${url}`);
    }
  }
  return settings;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** A webhook URL is a secret when it carries one (Slack's path, a `?token=`): mask the URL. */
function secretOfUrl(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname.length > 1 || parsed.search || parsed.username ? url : "";
}
