# syntax=docker/dockerfile:1
# coder-dx as a container: the same steps as packages/cli/src/package.e2e.test.ts (pack the CLI,
# install the tarball into a clean prefix, run it), with better-sqlite3 built for the image.
#
#   docker build -t coder-dx .
#   docker run --rm -v coder-dx-data:/data -e CODER_URL -e CODER_SESSION_TOKEN -e DX_API_TOKEN coder-dx sync
#   docker run -d -p 8080:8080 -v coder-dx-data:/data --env-file coder-dx.env coder-dx   # serve --schedule

FROM node:20-slim AS pack
RUN npm install -g pnpm@10
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm --filter @coder-dx/cli build \
 && mkdir /pack && cd packages/cli && pnpm pack --pack-destination /pack

FROM node:20-slim AS install
# better-sqlite3 compiles from source when no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY --from=pack /pack/ /pack/
RUN npm install --global --prefix /opt/coder-dx --no-audit --no-fund /pack/coder-dx-cli-*.tgz \
 && /opt/coder-dx/bin/coder-dx --version

FROM node:20-slim
COPY --from=install /opt/coder-dx /opt/coder-dx
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin coder-dx \
 && mkdir -p /data && chown coder-dx:coder-dx /data
ENV PATH=/opt/coder-dx/bin:$PATH \
    CODER_DX_DB=/data/coder-dx.db \
    NODE_ENV=production
USER coder-dx
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# For `serve`; a one-shot `sync` container exits before the first check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["coder-dx"]
# Hourly runs and the API; the schedule may also come from server.schedule in the config.
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--schedule", "0 * * * *"]
