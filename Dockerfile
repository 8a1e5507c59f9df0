# syntax=docker/dockerfile:1.7
# One image recipe for every service:  docker build --build-arg APP=user-service -t user-service .
# Stages: dependencies from the lock file (cached while package*.json do not change), the Nx
# production build, the service's production dependencies only, and a small runtime.

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
RUN --mount=type=cache,target=/root/.npm npm install --omit=dev --ignore-scripts --no-audit --no-fund --no-package-lock \
 && rm -f package-lock.json

FROM ${NODE_IMAGE} AS runtime
ARG APP
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0
WORKDIR /app
# Owned by root and not writable by the app user: the root filesystem may be mounted read-only,
# and the app writes only to /tmp.
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /workspace/dist/apps/${APP}/ ./
USER 10001:10001
EXPOSE 8080
# node directly, in exec form: it is PID 1 and receives SIGTERM itself.
CMD ["node", "--enable-source-maps", "-r", "./instrument.cjs", "main.cjs"]
