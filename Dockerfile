# Jessica live server for ECS Fargate on linux/arm64 (Graviton; the task definition says ARM64).
#   docker build --platform linux/arm64 -t jessica .
#   docker run --rm -p 9020:9020 -e JESSICA_ALLOW_ANONYMOUS=true jessica
# The platform comes from the build command (`FROM --platform=` trips dockerfilelint); the deps
# stage refuses any other architecture, so an amd64 image cannot reach ECR by accident.
# The server is PID 1 and handles SIGTERM itself (drain, then exit), so there is no init
# wrapper. ECS ignores HEALTHCHECK; the task definition carries the same probe.

# ---- build: all dependencies, compile the server (dist/) and the page (web/dist/) ----
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- production dependencies only ----
FROM node:22-bookworm-slim AS deps
WORKDIR /app
RUN test "$(uname -m)" = "aarch64" || { echo "Jessica's image is linux/arm64: build with --platform linux/arm64" >&2; exit 1; }
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=9020
WORKDIR /app
# Root-owned, so read-only for the server's user; the task also runs with a read-only root
# file system (the server writes nothing to disk: settings live in DynamoDB).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY package.json ./
USER node
EXPOSE 9020
STOPSIGNAL SIGTERM
# No curl in slim images: node's fetch probes the health route under ROOT_PATH.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9020'+(process.env.ROOT_PATH||'')+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/fargate/main.js"]
