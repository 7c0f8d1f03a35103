import assert from "node:assert/strict";
import { loadConfig } from "../../../shared/config.ts";
import { openDatabase } from "../../../shared/storage/db.ts";
import { silentLogger } from "../../../shared/log.ts";
import { appliedVersions, loadMigrations, migrate, splitStatements } from "../../../shared/storage/migrate.ts";
import { tempDir } from "../../_helpers.ts";

Deno.test("migrate applies every migration once and records it in schema_migrations", async () => {
  await using dir = await tempDir();
  const config = loadConfig({ DATABASE_PATH: `${dir.path}/m.db` });
  const migrations = await loadMigrations();
  const db = await openDatabase(config, silentLogger);
  const applied = await migrate(db, migrations, silentLogger);
  assert.deepEqual(applied, migrations.map((m) => m.version));
  const rows = await db.read.query<{ version: number; name: string }>(
    "SELECT version, name FROM schema_migrations ORDER BY version",
  );
  assert.deepEqual(rows.map((r) => [r.version, r.name]), migrations.map((m) => [m.version, m.name]));
  db.close();
  const reopened = await openDatabase(config, silentLogger);
  assert.deepEqual(await migrate(reopened, migrations, silentLogger), []);
  assert.equal((await appliedVersions(reopened)).size, migrations.length);
  reopened.close();
});

Deno.test("a failing migration rolls back whole and stays pending", async () => {
  const db = await openDatabase(loadConfig({ DATABASE_URL: ":memory:" }), silentLogger);
  const broken = [{
    version: 1,
    name: "broken",
    apply: async (tx: typeof db.read) => {
      await tx.run("CREATE TABLE half (a)");
      await tx.run("INSERT INTO nowhere VALUES (1)");
    },
  }];
  await assert.rejects(migrate(db, broken, silentLogger), /no such table: nowhere/);
  assert.deepEqual(await db.read.query("SELECT name FROM sqlite_master WHERE name = 'half'"), []);
  assert.equal((await appliedVersions(db)).size, 0);
  db.close();
});

Deno.test("splitStatements keeps strings, comments and trigger bodies intact", () => {
  const script = `-- a comment; with a semicolon
CREATE TABLE a (x TEXT DEFAULT ';');
/* block; comment */ CREATE TRIGGER t AFTER INSERT ON a BEGIN
  INSERT INTO b VALUES ('x;y'); UPDATE c SET n = n + 1;
END;
INSERT INTO a VALUES ("it's");`;
  const statements = splitStatements(script);
  assert.equal(statements.length, 3);
  assert.match(statements[0], /^CREATE TABLE a \(x TEXT DEFAULT ';'\)$/);
  assert.match(statements[1], /BEGIN\s+INSERT INTO b VALUES \('x;y'\); UPDATE c SET n = n \+ 1;\s+END$/);
  assert.equal(statements[2], `INSERT INTO a VALUES ("it's")`);
});
