# nymble-sync: one image for the worker (default), the dashboard and the simulator.
# Build: docker build -t nymble-sync .   Run: see docs/operations.md and docker-compose.yml.

FROM node:20-slim AS build
WORKDIR /app
# `npm ci` runs the `prepare` script, which compiles, so the sources go in first.
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY jobs ./jobs
RUN npm ci --no-audit --no-fund \
  && npm run build \
  && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The mock ERP writes its SQLite file below /app/data; the image's `node` user (uid 1000) owns it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
CMD ["node", "dist/src/cli/main.js", "worker"]
