# One image per service, from one build: `docker build --target store|central|dags .`
# The store, which runs on a shop's edge box, ships compiled: the esbuild bundle of `npm run build` on
# plain node with capped V8 heap (README, operations). Central and the DAG runner run their TypeScript
# through tsx (no build step), exactly as `npm start` runs it.
# The workspaces' manifests only: the install layers below rebuild only when a dependency changes.
FROM node:20-bookworm-slim AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/package.json libs/
COPY store/package.json store/
COPY central/package.json central/
COPY dags/package.json dags/

FROM manifests AS deps
RUN npm ci --omit=dev --ignore-scripts=false --no-audit --no-fund && npm install --no-save tsx

# The store bundle (dev dependencies: esbuild, tsx); only store/dist leaves this stage.
FROM manifests AS store-build
RUN npm ci --no-audit --no-fund
COPY scripts/build.ts scripts/
COPY libs libs
COPY store store
RUN npm run build

FROM deps AS base
COPY libs libs
COPY data/seed data/seed
ENV RS_DATA_DIR=/var/lib/retail-sync NODE_ENV=production
USER node

FROM node:20-bookworm-slim AS store
WORKDIR /app
# the bundle's externals (@node-rs/crc32 and its native addon, grpc-health-check) load from node_modules
COPY --from=deps /app/node_modules node_modules
COPY --from=store-build /app/store/dist store/dist
# Heap flags for the edge box (scripts/build.ts STORE_NODE_OPTIONS): V8 collects instead of growing.
# An operator overrides them with NODE_OPTIONS at run time.
ENV RS_DATA_DIR=/var/lib/retail-sync NODE_ENV=production NODE_OPTIONS="--max-old-space-size=256 --max-semi-space-size=4"
# A named volume takes its owner from the mount point in the image: the identity pool must be the node user's.
RUN mkdir -p /var/lib/retail-sync/pool && chown -R node /var/lib/retail-sync
USER node
EXPOSE 5001
CMD ["node", "store/dist/store.mjs"]

FROM base AS central
COPY --chown=node central central
EXPOSE 8000 50051
CMD ["node", "--import", "tsx", "central/src/bin.ts"]

FROM base AS dags
COPY --chown=node dags dags
EXPOSE 8001
CMD ["node", "--import", "tsx", "dags/src/bin.ts"]
