# sopwatch: one image for every role (api, worker). No build step: the command and its detector threads run from an
# esbuild bundle of the TypeScript (bin/bundle.mjs), made here while the app folder is writable (USER node cannot write it).
FROM node:20-bookworm-slim

# ffmpeg/ffprobe decode clips and camera streams; ca-certificates for HTTPS model endpoints and webhooks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production \
    SOPWATCH_DATA_DIR=/data

# Dependencies first, so a source change does not reinstall them. tsx is a runtime dependency. No install scripts:
# package.json's allowScripts approves none of the dependencies', and its own prepare (the bundles) runs below, once
# the sources are here.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY services ./services
COPY models ./models
COPY sop-rules ./sop-rules
COPY dashboard ./dashboard
# The bundles, and the SOP schema's compiled validator (kept beside them: services/rules/sop-validator.ts).
RUN node bin/bundle.mjs && node bin/sopwatch.mjs sop validate sop-rules/ >/dev/null

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080

ENTRYPOINT ["node", "bin/sopwatch.mjs"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
