# Gatehouse service image (used by docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
COPY scripts ./scripts
COPY apps ./apps
COPY libs ./libs
COPY tsconfig.json ./
RUN npm install --no-audit --no-fund && node scripts/build.mjs && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 8080 50051
# --max-semi-space-size: see README "Runtime flags".
CMD ["node", "--max-semi-space-size=64", "dist/apps/gatehouse/src/main.js"]
