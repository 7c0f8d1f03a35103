/**
 * The SQL a plugin's migration may run (README "Plugin storage"): split into statements and screened,
 * so that it reaches nothing but the plugin's own tables.
 *
 * Why screening rather than libsql's authorizer: the authorizer of `libsql` 0.5.29 is an allow-list
 * of exact table names for the whole connection. A migration creates tables nobody listed, and with
 * it even `upper()` and `ALTER TABLE … ADD COLUMN` are refused (tried: "not authorized to use
 * function"). It would also have to be switched on and off around each migration on the writer's
 * connection, which the key/value and row operations share. Screening is sound here because the
 * tokenizer below follows SQLite's own (tokenize.c) for everything that hides text (comments, strings,
 * quoted identifiers, brackets), and because each statement is prepared on its own: SQLite compiles
 * the first statement of a text and ignores the rest, so what runs always starts where the
 * screened statement starts.
 */

/** One token: `word` (a bare keyword or identifier), `name` (a quoted identifier), `string`, or punctuation. */
export interface Token {
  kind: "word" | "name" | "string" | "blob" | "number" | "variable" | "punct";
  /** The identifier or string without its quotes; the text itself for the others. */
  value: string;
  /** 1-based line of the token's first character. */
  line: number;
}

/** One statement of a migration: its text as written and where it starts. */
export interface PluginStatement {
  sql: string;
  line: number;
}

/** SQL a plugin migration may not run; `line` is where the statement at fault starts. */
export class PluginSqlError extends Error {
  constructor(readonly line: number, reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = "PluginSqlError";
  }
}

/** Statements that would leave the plugin's database or end the migration's transaction, by first keyword. */
const REFUSED_STATEMENTS: Record<string, string> = {
  ATTACH: "ATTACH would open another database file",
  DETACH: "DETACH is about other database files",
  VACUUM: "VACUUM (INTO) writes a database file",
  BEGIN: "the migration already runs in a transaction of its own",
  COMMIT: "the migration's transaction is committed by the service",
  END: "the migration's transaction is committed by the service",
  SAVEPOINT: "the migration's transaction is managed by the service",
  RELEASE: "the migration's transaction is managed by the service",
  ROLLBACK: "the migration's transaction is rolled back by the service when a statement fails",
  EXPLAIN: "EXPLAIN has no place in a migration",
};

/** PRAGMAs that only read or that do nothing inside a transaction; every other one is refused. */
const HARMLESS_PRAGMAS = new Set([
  "table_info",
  "table_xinfo",
  "table_list",
  "index_list",
  "index_info",
  "index_xinfo",
  "foreign_key_list",
  "foreign_key_check",
  "integrity_check",
  "quick_check",
  "foreign_keys",
  "defer_foreign_keys",
]);

/** Functions and table-valued functions built into this libsql that reach files, load code or run SQL text. */
const REFUSED_NAMES = new Set([
  "load_extension",
  "readfile",
  "writefile",
  "fsdir",
  "lsmode",
  "edit",
  "sha3_query",
  "fts3_tokenizer",
]);

/**
 * Splits a migration section into statements and refuses any that could reach beyond the plugin's
 * own tables; throws {@linkcode PluginSqlError} naming the line and the reason.
 */
export function pluginStatements(section: string, firstLine = 1): PluginStatement[] {
  const statements: PluginStatement[] = [];
  for (const { sql, tokens } of splitStatements(section, firstLine)) {
    screen(tokens);
    statements.push({ sql, line: tokens[0].line });
  }
  return statements;
}

/** Refuses a statement (its tokens) that could reach beyond the plugin's own tables. */
function screen(tokens: Token[]): void {
  const line = tokens[0].line;
  const refuse = (reason: string): never => {
    throw new PluginSqlError(line, `${reason}: a plugin migration reaches only the plugin's own tables`);
  };
  const first = keyword(tokens[0]);
  if (first && first in REFUSED_STATEMENTS) refuse(REFUSED_STATEMENTS[first]);
  if (first === "PRAGMA") {
    const name = tokens[2]?.value === "." ? tokens[3] : tokens[1];
    if (!name || !HARMLESS_PRAGMAS.has(name.value.toLowerCase())) {
      refuse(`PRAGMA ${name?.value ?? ""} is not one of ${[...HARMLESS_PRAGMAS].join(", ")}`);
    }
  }
  if (first === "CREATE" && ["TEMP", "TEMPORARY"].includes(keyword(tokens[1]) ?? "")) {
    refuse("a temporary object would outlive the migration on the service's connection");
  }
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind === "variable") refuse(`a migration binds no parameters (${token.value})`);
    if (keyword(token) === "ROLLBACK") refuse("ROLLBACK would end the migration's transaction");
    if (token.kind !== "word" && token.kind !== "name" && token.kind !== "string") continue;
    const lower = token.value.toLowerCase();
    if (lower.includes("_rosey_")) refuse(`"${token.value}": names with "_rosey_" belong to the service`);
    if (token.kind === "string") continue;
    if (lower.startsWith("sqlite_") || lower.startsWith("sqlite3")) {
      refuse(`"${token.value}": SQLite's own tables and functions are the service's`);
    }
    if (REFUSED_NAMES.has(lower)) refuse(`${token.value} reaches files or runs code`);
    if ((lower === "temp" || lower === "temporary") && tokens[i + 1]?.value === ".") {
      refuse("the temp schema lives on the service's connection");
    }
  }
}

/** The upper-case text of a bare word, or undefined for any other token. */
function keyword(token: Token | undefined): string | undefined {
  return token?.kind === "word" ? token.value.toUpperCase() : undefined;
}

/**
 * Splits SQL into statements at `;`, keeping each statement's text as written; comment-only pieces
 * are dropped. Inside `CREATE [TEMP] TRIGGER` a `;` ends the statement only after the END that closes
 * the body (as SQLite's sqlite3_complete reads it, with CASE … END counted so that a CASE ending a
 * body statement does not end the trigger). Words such as `begin` or `trigger` elsewhere are names.
 */
export function splitStatements(sql: string, firstLine = 1): { sql: string; tokens: Token[] }[] {
  const statements: { sql: string; tokens: Token[] }[] = [];
  let start = 0;
  let tokens: Token[] = [];
  let cases = 0; // open CASE … END inside a trigger
  let bodyClosed = false; // the last token is the END of the trigger's body
  for (const { token, end } of tokenize(sql, firstLine)) {
    if (token.value === ";" && token.kind === "punct" && (!isTrigger(tokens) || bodyClosed)) {
      if (tokens.length > 0) statements.push({ sql: sql.slice(start, end - 1), tokens });
      start = end;
      tokens = [];
      cases = 0;
      bodyClosed = false;
      continue;
    }
    tokens.push(token);
    const word = keyword(token);
    bodyClosed = false;
    if (!isTrigger(tokens)) continue;
    if (word === "CASE") cases++;
    else if (word === "END") {
      if (cases > 0) cases--;
      else bodyClosed = true;
    }
  }
  if (tokens.length > 0) statements.push({ sql: sql.slice(start), tokens });
  return statements;
}

/** Whether a statement's tokens begin `CREATE [TEMP|TEMPORARY] TRIGGER`. */
function isTrigger(tokens: Token[]): boolean {
  if (keyword(tokens[0]) !== "CREATE") return false;
  const second = keyword(tokens[1]);
  return second === "TRIGGER" || ((second === "TEMP" || second === "TEMPORARY") && keyword(tokens[2]) === "TRIGGER");
}

const WHITESPACE = /[ \t\n\f\r]/;
/** SQLite's IdChar: letters, digits, `_`, `$` and every non-ASCII character. */
const ID_CHAR = /[A-Za-z0-9_$\u0080-\uFFFF]/;
const ID_START = /[A-Za-z_\u0080-\uFFFF]/;

/** SQLite's tokens of `sql`, comments and whitespace skipped; throws on what SQLite would not read. */
export function* tokenize(sql: string, firstLine = 1): Generator<{ token: Token; end: number }> {
  let i = 0;
  let line = firstLine;
  const advance = (to: number) => {
    for (let j = i; j < to; j++) if (sql[j] === "\n") line++;
    i = to;
  };
  while (i < sql.length) {
    const c = sql[i];
    const at = line;
    const emit = (kind: Token["kind"], value: string, to: number) => {
      advance(to);
      return { token: { kind, value, line: at }, end: to };
    };
    if (c === "\0") throw new PluginSqlError(at, "a NUL character ends the SQL early");
    if (WHITESPACE.test(c)) {
      advance(i + 1);
    } else if (c === "-" && sql[i + 1] === "-") {
      const newline = sql.indexOf("\n", i);
      advance(newline < 0 ? sql.length : newline + 1);
    } else if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      advance(close < 0 ? sql.length : close + 2);
    } else if (c === "'" || c === '"' || c === "`") {
      const to = quotedEnd(sql, i, c, at);
      yield emit(c === "'" ? "string" : "name", sql.slice(i + 1, to - 1).replaceAll(c + c, c), to);
    } else if (c === "[") {
      const close = sql.indexOf("]", i);
      if (close < 0) throw new PluginSqlError(at, "an identifier in [ ] is not closed");
      yield emit("name", sql.slice(i + 1, close), close + 1);
    } else if ((c === "x" || c === "X") && sql[i + 1] === "'") {
      const to = quotedEnd(sql, i + 1, "'", at);
      yield emit("blob", sql.slice(i, to), to);
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
      const match = /^(?:0[xX][0-9A-Fa-f]*|[0-9]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)[A-Za-z0-9_$\u0080-\uFFFF]*/
        .exec(sql.slice(i))!;
      yield emit("number", match[0], i + match[0].length);
    } else if (ID_START.test(c)) {
      let to = i + 1;
      while (to < sql.length && ID_CHAR.test(sql[to])) to++;
      yield emit("word", sql.slice(i, to), to);
    } else if ("?:@$#".includes(c)) {
      let to = i + 1;
      while (to < sql.length && ID_CHAR.test(sql[to])) to++;
      yield emit("variable", sql.slice(i, to), to);
    } else {
      yield emit("punct", c, i + 1);
    }
  }
}

/** The index after the quote closing the one at `open` (a doubled quote is part of the text). */
function quotedEnd(sql: string, open: number, quote: string, line: number): number {
  let i = open + 1;
  for (;;) {
    const close = sql.indexOf(quote, i);
    if (close < 0) throw new PluginSqlError(line, `a ${quote}…${quote} quote is not closed`);
    if (sql[close + 1] !== quote) return close + 1;
    i = close + 2;
  }
}
