/** The file `coder-dx init` writes: every setting, at its default, with why it matters. */
export const STARTER_CONFIG = `# yaml-language-server: $schema=./coder-dx.schema.json
# coder-dx configuration. Every value below is the default except three, each marked
# "turned on here": usage frequency (a third attribute group), steady usage levels, and the
# permission for the first sync to create the frequency group in DX. Delete what you do not change.
# Secrets stay in the environment: CODER_SESSION_TOKEN and DX_API_TOKEN (or \${VAR} references here).

coder:
  # url: https://coder.example.com    # or CODER_URL
  usageWindowDays: 28                 # whole UTC days ending at today's 00:00 UTC
  requestsPerMinute: 300              # Coder allows 512 per user per endpoint
  timeoutMs: 30000                    # per request
  maxAttempts: 5                      # attempts on 5xx and network errors, with backoff
  retryBaseMs: 500                    # the first retry's delay; later ones double, with jitter
  maxRetryTimeMs: 90000               # one request retries (429s included) for at most this long

dx:
  # url: https://api.getdx.com        # or DX_API_URL
  requestsPerMinute: 600              # DX allows 1000/minute per account, shared by every integration
  concurrency: 8                      # DX writes in flight at once
  readBack: true                      # compare with what DX holds (users.list) before writing
  timeoutMs: 30000
  maxAttempts: 5
  retryBaseMs: 500
  maxRetryTimeMs: 90000               # DX's limit is a 60 s sliding window: a 429 is ridden out past it

groups:
  status:
    name: Coder
    values: { active: Active, dormant: Dormant, suspended: Suspended, former: Former user }
  usage:
    name: Coder usage level
    heavyHours: 40                    # active hours in the window
    moderateHours: 10
    values: { heavy: Heavy, moderate: Moderate, light: Light, none: None }
    measure: hours                    # hours | activeDays (then heavyDays: 12, moderateDays: 4)
    # A level moves down only after the lower one was computed for this many days running, so
    # someone at a threshold does not flip every run and churn DX's cohort reports.
    downgradeAfterDays: 7             # turned on here (default 0: at once)
  frequency:                          # turned on here (default null): Daily, Weekly, Monthly, None
    name: Coder usage frequency       # (28 one-day usage reads per run; null turns it off)
    dailyDays: 15                     # Daily: active on at least 15 of the 28 days
    weeklyWeeks: 3                    # Weekly: active in at least 3 of the 4 weeks
    downgradeAfterDays: 7             # steady, as above
  extra: []                           # e.g. - { name: Coder login, from: loginType, map: { github: GitHub } }
                                      #      - { name: Coder template, from: template }   (the template with the most hours)
                                      #      - { name: Team, from: group, map: { payments: Payments, platform: Platform } }
                                      #      - { name: AI seat, from: aiSeat }

properties: []                        # e.g. - { name: github_username, from: username, when: { loginType: github } }

identities:
  overrides: {}                       # Coder username or email -> DX email
  domainRewrites: {}                  # e.g. corp.example.net: example.com
  exclude: []                         # usernames or emails, * wildcards

deprovision: mark                     # people who leave Coder: mark (Former user) | clear | ignore
nonUsers: null                        # e.g. Non-user: the Coder value for DX users with no Coder account
drift: overwrite                      # a value changed in DX by hand: overwrite | respect

safety:
  maxRemovals: 5                      # halt when a run would retire/clear more than this many people
  maxRemovalsPercent: 10              # ... and more than this percentage of those tracked
  minSourceRatio: 0.5                 # halt when Coder lists fewer than this share of the last run's users
  maxChangedPercent: 50               # halt when one extra group would move more than this % of those tracked
  # true, or a list: attribute groups coder-dx may create in DX (default false); turned on here
  # for the frequency group above, which DX does not have until the first sync writes it.
  allowNewGroups: [Coder usage frequency]

retention:
  days: null                          # e.g. 400: prune audit rows and runs older than that after each run

live:                                 # DX following Coder within minutes (in serve)
  hookSecret: null                    # e.g. \${CODER_DX_HOOK_SECRET} (32+ characters): Coder's notifications
                                      # reach POST /v1/hooks/coder/<secret>; coder-dx doctor prints the URL
  statusEvery: null                   # e.g. 5m: a status-only pass (no usage reads, no DX listing)

notify: []                            # webhooks told when a run ends, e.g.
#  - url: https://hooks.example.com/coder-dx
#    events: [failed, halted, partial] # and/or succeeded
#    secret: \${CODER_DX_WEBHOOK_SECRET} # signs the body: X-Coder-DX-Signature: sha256=<hex>
#  - url: \${SLACK_WEBHOOK_URL}
#    format: slack
# publicUrl: https://coder-dx.example.com  # notifications link to <publicUrl>/v1/runs/<id>

server:
  apiTokens: []                       # role:token or role:sha256:<hex>; roles viewer, operator, admin
  schedule: null                      # cron, e.g. "0 * * * *"
  drainMs: 7000                       # on SIGTERM/Ctrl-C, writes in flight get this long to land
`;
