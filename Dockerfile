# syntax=docker/dockerfile:1.7@sha256:a57df69d0ea827fb7266491f2813635de6f17269be881f696fbfdf2d83dda33e
# The BuildKit frontend is pinned by digest like the base image (Renovate's Dockerfile manager
# updates both).
# One image recipe for every service:  docker build --build-arg APP=user-service -t user-service .
# Stages: dependencies from the lock file (cached while package*.json do not change), the Nx
# production build (one bundle with its npm packages inlined), the few packages the bundle leaves
# external, installed from a lock pruned to them, and a small runtime.

# Node.js 24 LTS (the version in .nvmrc) on Debian bookworm, pinned by the digest of its multi-arch
# index; Renovate (renovate.json) proposes the next one.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:2fe369e969550cde8e867afc3fe370b260140cab4a23d467074295b42163d553

FROM ${NODE_IMAGE} AS deps
WORKDIR /workspace
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

FROM deps AS build
ARG APP
RUN test -n "${APP}" || (echo "Build with --build-arg APP=<service> (user-service, order-service, payment-service)" >&2; exit 1)
COPY . .
RUN NX_DAEMON=false NX_NO_CLOUD=true npx nx build "${APP}" --skip-nx-cache \
 && node tools/docker/prune-dependencies.cjs "dist/apps/${APP}"

FROM ${NODE_IMAGE} AS runtime-deps
ARG APP
WORKDIR /app
COPY --from=build /workspace/dist/apps/${APP}/package.json /workspace/dist/apps/${APP}/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ARG APP
# MALLOC_ARENA_MAX: see libs/testing's BUILT_SERVICE_ENV, which everything that runs a built service shares.
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
# The runtime runs node and nothing else: no package manager to install with, or to exploit.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && ! command -v npm && ! command -v npx && ! command -v corepack
# Owned by root and not writable by the app user: the root filesystem may be mounted read-only,
# and the app writes only to /tmp.
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /workspace/dist/apps/${APP}/ ./
# V8's code cache for the bundle, made here once by the user and with the V8 flags of CMD (Node
# keys the cache by both), so a pod does not compile its 2-3 MB of JavaScript at every start
# (docs/benchmarks: cold start): with the --jitless the chart adds by default (libs/testing's
# JITLESS), and without it.
ENV NODE_COMPILE_CACHE=/app/.compile-cache
RUN mkdir .compile-cache && chown 10001:10001 .compile-cache
USER 10001:10001
RUN SERVICE_PRELOAD_ONLY=1 node --no-maglev -e "require('./main.cjs')" \
 && SERVICE_PRELOAD_ONLY=1 NODE_OPTIONS=--jitless node --no-maglev -e "require('./main.cjs')" \
 && chmod -R a-w .compile-cache && test "$(ls .compile-cache | wc -l)" -eq 2
EXPOSE 8080
# node directly, in exec form: it is PID 1 and receives SIGTERM itself. Why --no-maglev and no
# source maps: libs/testing's builtServiceArgs, which everything that runs a built service shares.
CMD ["node", "--no-maglev", "main.cjs"]
