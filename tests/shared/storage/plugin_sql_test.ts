import assert from "node:assert/strict";
import { splitStatements } from "../../../shared/storage/plugin_sql.ts";

const texts = (sql: string) => splitStatements(sql).map((statement) => statement.sql.trim());

Deno.test("plugin migration statements: `trigger`, `begin` and `end` as names never join two statements", () => {
  assert.deepEqual(
    texts("CREATE TABLE trigger(begin INTEGER, end TEXT); CREATE TABLE quotes(id INTEGER PRIMARY KEY);"),
    [
      "CREATE TABLE trigger(begin INTEGER, end TEXT)",
      "CREATE TABLE quotes(id INTEGER PRIMARY KEY)",
    ],
  );
});

Deno.test("plugin migration statements: a trigger ends at the END of its body, a CASE … END inside it does not end it", () => {
  const trigger = `CREATE TRIGGER log_score AFTER UPDATE ON quotes BEGIN
  INSERT INTO log(begin) VALUES (1);
  UPDATE quotes SET score = CASE WHEN new.score < 0 THEN 0 ELSE new.score END WHERE id = new.id;
END`;
  assert.deepEqual(texts(`${trigger}; CREATE INDEX quotes_score ON quotes(score);`), [
    trigger,
    "CREATE INDEX quotes_score ON quotes(score)",
  ]);
  const temp = "CREATE TEMP TRIGGER t AFTER INSERT ON quotes BEGIN SELECT 1; END";
  assert.deepEqual(texts(`${temp}; SELECT 2`), [temp, "SELECT 2"]);
});
