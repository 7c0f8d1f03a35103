# rosey-db: the official Deno image, dependencies cached at build time, non-root, data in /data.
FROM denoland/deno:2.9.6

WORKDIR /app
RUN mkdir -p /data && chown deno:deno /data /app
USER deno

# Dependencies first, so that a code change does not download them again.
COPY --chown=deno:deno deno.json deno.lock import_map.json ./
COPY --chown=deno:deno shared/ shared/
COPY --chown=deno:deno functions/ functions/
# Every npm package, libSQL's native module included, lands in the image's DENO_DIR.
RUN deno cache --frozen shared/main.ts shared/ingest/worker.ts shared/client/mod.ts shared/client/direct.ts shared/cli/import_json.ts

ENV DATABASE_PATH=/data/rosey.db \
    BACKUP_DIR=/data/backups \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch('http://127.0.0.1:8080/health').catch(() => null); Deno.exit(r?.ok ? 0 : 1)"]

# SIGTERM drains and commits before exit; compose gives it stop_grace_period to do so.
CMD ["deno", "run", "--frozen", "--v8-flags=--max-semi-space-size=4", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-ffi", "--allow-sys", "shared/main.ts"]
