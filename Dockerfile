# rosey-db: the official Deno image, dependencies cached at build time, non-root, data in /data.
FROM denoland/deno:2.9.6

WORKDIR /app
RUN mkdir -p /data && chown deno:deno /data /app
USER deno

# Dependencies first, from the manifests alone, so that a code change does not download them again:
# every package of the import map (libSQL's native module included) lands in the image's DENO_DIR.
COPY --chown=deno:deno deno.json deno.lock import_map.json ./
RUN deno eval 'const { imports } = JSON.parse(Deno.readTextFileSync("import_map.json")); Deno.writeTextFileSync("deps.ts", Object.keys(imports).map((name) => `import "${name}";\n`).join(""))' \
  && deno cache --frozen deps.ts \
  && rm deps.ts

COPY --chown=deno:deno shared/ shared/
COPY --chown=deno:deno functions/ functions/
# Fails the build if the code needs anything the step above did not fetch.
RUN deno cache --frozen shared/main.ts shared/ingest/worker.ts shared/client/mod.ts shared/client/direct.ts shared/cli/import_json.ts

ENV DATABASE_PATH=/data/rosey.db \
    BACKUP_DIR=/data/backups \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
VOLUME ["/data"]
EXPOSE 8080

# No Deno start per check: bash asks /health on whatever HTTP_PORT the container runs with.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${HTTP_PORT:-8080} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# No --allow-run: a container reaches its NATS server at NATS_URL and never starts one of its own
# (without NATS_URL it stops at once, saying so). SIGTERM drains and commits before exit.
CMD ["deno", "run", "--frozen", "--cached-only", "--v8-flags=--max-semi-space-size=4", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-ffi", "--allow-sys", "shared/main.ts"]
