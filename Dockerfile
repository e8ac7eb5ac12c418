# One image per service, from one build: `docker build --target store|central|dags .`
# TypeScript runs through tsx (no build step), exactly as `npm start` runs it.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/package.json libs/
COPY store/package.json store/
COPY central/package.json central/
COPY dags/package.json dags/
RUN npm ci --omit=dev --ignore-scripts=false --no-audit --no-fund && npm install --no-save tsx

FROM deps AS base
COPY libs libs
COPY data/seed data/seed
ENV RS_DATA_DIR=/var/lib/retail-sync NODE_ENV=production
USER node

FROM base AS store
COPY --chown=node store store
EXPOSE 5001
CMD ["node", "--import", "tsx", "store/src/bin.ts"]

FROM base AS central
COPY --chown=node central central
EXPOSE 8000 50051
CMD ["node", "--import", "tsx", "central/src/bin.ts"]

FROM base AS dags
COPY --chown=node dags dags
EXPOSE 8001
CMD ["node", "--import", "tsx", "dags/src/bin.ts"]
