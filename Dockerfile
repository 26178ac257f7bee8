# Container image of the controller. Node's version is pinned in scripts/image/versions.json (a test keeps
# NODE_VERSION equal to it); `npm run image` builds the same image without a container daemon.
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: `prepare` would compile before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY sim sim
COPY test/support test/support
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim
# A numeric user that owns nothing in the image: `runAsNonRoot` can check it, and with every file owned by
# root the controller cannot write outside /tmp even when the root filesystem is not mounted read-only.
RUN groupadd --gid 65532 nonroot \
  && useradd --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin nonroot
WORKDIR /app
COPY package.json package-lock.json ./
COPY bin bin
COPY --from=build /src/dist dist
COPY --from=production-dependencies /app/node_modules node_modules
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/node", "/app/bin/agent-stack-k8s.js"]
