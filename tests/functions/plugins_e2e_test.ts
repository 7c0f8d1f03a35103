/**
 * Three of Rosey's plugins through their whole lives over NATS, sending what the real plugins send
 * (grobertson/Rosey-Robot 882c482: plugins/quote-db/quote_db.py, plugins/trivia/storage.py,
 * plugins/countdown/plugin.py): same subjects, payloads and field names, reading the reply fields
 * they read. A real nats-server, real database files, migrations from tests/fixtures/plugins/e2e/.
 */
import assert from "node:assert/strict";
import Database from "libsql";
import { request, startRosey, tempDir, type TestService, waitFor } from "../_helpers.ts";

const PLUGINS_DIR = "tests/fixtures/plugins/e2e";

type Row = Record<string, unknown>;
/** A reply body as a plugin reads it, with the ADR-32 code beside it. */
interface Reply {
  [field: string]: unknown;
  code?: string;
  success?: boolean;
  error?: { code: string; message: string };
  rows?: Row[];
  data?: Row;
}

/** What a plugin gets back for `rosey.db.<subject>` (`kv.quote-db.get`, …); `timeout` as the plugin sets it. */
async function send(t: TestService, subject: string, body: unknown = {}, timeout = 5000): Promise<Reply> {
  const reply = await request(t.nc, `rosey.db.${subject}`, body, timeout);
  return { ...reply.data, code: reply.errorCode };
}

/** `send` that must succeed, as the plugins that raise on `success: false` require. */
async function ok(t: TestService, subject: string, body: unknown = {}, timeout = 5000): Promise<Reply> {
  const reply = await send(t, subject, body, timeout);
  assert.equal(reply.success, true, `${subject} ${JSON.stringify(body)}: ${reply.error?.message}`);
  assert.equal(reply.code, undefined);
  return reply;
}

/** Reads a database file directly, as another process would. */
function readFile<T = Row>(path: string, sql: string): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** The tables in a database file that are not SQLite's or the service's own. */
function tablesIn(path: string): string[] {
  return readFile<{ name: string }>(
    path,
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_rosey\\_%' ESCAPE '\\' ORDER BY name",
  ).map((row) => row.name);
}

/** quote_db.py's _register_schema, sent on every start after the migration check (max_length and default kept). */
const QUOTES_SCHEMA = {
  table: "quotes",
  schema: {
    fields: [
      { name: "text", type: "string", required: true, max_length: 1000 },
      { name: "author", type: "string", max_length: 100 },
      { name: "added_by", type: "string", max_length: 50 },
      { name: "added_at", type: "datetime", required: true },
      { name: "score", type: "integer", required: true, default: 0 },
      { name: "tags", type: "string", required: true, default: "[]" },
    ],
  },
};

const integer = (name: string) => ({ name, type: "integer" });
const text = (name: string, required = false) => ({ name, type: "string", ...(required ? { required } : {}) });
const time = (name: string, required = false) => ({ name, type: "datetime", ...(required ? { required } : {}) });

/** trivia's SCHEMAS (storage.py), registered one request per table on every start. */
const TRIVIA_SCHEMAS: Record<string, { fields: Row[] }> = {
  user_stats: {
    fields: [
      text("user_id", true),
      ...[
        "total_games",
        "games_won",
        "total_questions",
        "correct_answers",
        "total_points",
        "current_answer_streak",
        "best_answer_streak",
        "current_win_streak",
        "best_win_streak",
        "fastest_answer_ms",
      ].map(integer),
      text("favorite_category"),
    ],
  },
  channel_stats: {
    fields: [
      text("user_id", true),
      text("channel", true),
      ...["games_played", "games_won", "total_points", "correct_answers"].map(integer),
    ],
  },
  games: {
    fields: [
      text("game_id", true),
      text("channel", true),
      text("started_by", true),
      { name: "num_questions", type: "integer", required: true },
      integer("num_players"),
      text("winner_id"),
      time("started_at", true),
      time("ended_at"),
      text("status"),
    ],
  },
  achievements: { fields: [text("user_id", true), text("achievement_id", true), time("earned_at")] },
  category_stats: {
    fields: [text("user_id", true), text("category", true), integer("questions_seen"), integer("correct_answers")],
  },
};

/** Python's `datetime.utcnow().isoformat()`: naive, as trivia sends it. */
const NAIVE = "2026-12-01T23:31:22.042000";

Deno.test("rosey.db kv, row and migrate: quote-db, trivia and countdown live their whole lives over NATS, each in its own database", async (test) => {
  await using dir = await tempDir();
  const env = { DATABASE_PATH: `${dir.path}/rosey.db`, PLUGINS_DIR };
  const pluginFile = (plugin: string) => `${dir.path}/plugins/${plugin}.db`;
  let t = await startRosey(env);
  const serviceTables = tablesIn(`${dir.path}/rosey.db`);
  try {
    await test.step("quote-db: migrate, adopt, add, search, vote, cache the count with a TTL, delete", async () => {
      // initialize(): migration status ({} as bytes, 5 s); the plugin refuses to start below version 3.
      const before = await ok(t, "migrate.quote-db.status", {}, 5000);
      assert.equal(before.current_version, 0);
      assert.deepEqual((before.pending_migrations as Row[]).map((m) => m.version), [1, 2, 3]);
      // The CI step (scripts/apply_plugin_migrations.py): target "latest", reads applied_migrations.
      const applied = await ok(t, "migrate.quote-db.apply", { target_version: "latest" }, 30_000);
      assert.deepEqual((applied.applied_migrations as Row[]).map((m) => m.version), [1, 2, 3]);
      assert.equal(applied.current_version, 3);
      assert.equal((await ok(t, "migrate.quote-db.status", {})).current_version, 3);
      // _register_schema adopts the table the migrations made, and is a no-op on every later start.
      assert.equal((await ok(t, "row.quote-db.schema.register", QUOTES_SCHEMA, 2000)).registered, "adopted");
      assert.equal((await ok(t, "row.quote-db.schema.register", QUOTES_SCHEMA, 2000)).registered, "unchanged");

      // _get_quote_count: a cache miss (top-level exists), then _count_quotes_from_db and the cache set.
      const miss = await send(t, "kv.quote-db.get", { key: "total_count" }, 1000);
      assert.equal(miss.exists, false);
      const all = await ok(t, "row.quote-db.search", { table: "quotes", filters: {}, limit: 10000 }, 2000);
      assert.equal(all.rows!.length, 2, "the two quotes migration 001 seeded");
      await send(t, "kv.quote-db.set", { key: "total_count", value: String(all.rows!.length), ttl: 300 }, 1000);
      const hit = await send(t, "kv.quote-db.get", { key: "total_count" }, 1000);
      assert.deepEqual([hit.exists, Number.parseInt(hit.value as string)], [true, 2]);
      const expiresIn = Date.parse(hit.expires_at as string) - Date.now();
      assert.ok(expiresIn > 290_000 && expiresIn <= 300_000, `expires in ${expiresIn} ms`);

      // add_quote: an aware UTC added_at, score 0, tags "[]"; reads result["id"].
      const add = (data: Row) => ok(t, "row.quote-db.insert", { table: "quotes", data }, 2000);
      const linus = {
        text: "Talk is cheap. Show me the code.",
        author: "Linus Torvalds",
        added_by: "alice",
        added_at: "2026-12-01T23:31:18.756000+00:00",
        score: 0,
        tags: "[]",
      };
      assert.equal((await add(linus)).id, 3);
      // A 1,000-character quote under type "string" with max_length 1000 (Rosey never capped it at 255).
      const long = { ...linus, text: "x".repeat(1000), author: "Unknown", added_at: "2026-12-02T08:00:00+01:00" };
      assert.equal((await add(long)).id, 4);
      const tooLong = await send(t, "row.quote-db.insert", {
        table: "quotes",
        data: { ...long, text: "x".repeat(1001) },
      });
      assert.deepEqual([tooLong.code, tooLong.success, tooLong.error?.code], ["400", false, "VALIDATION_ERROR"]);

      // get_quote: top-level exists and data.
      const got = await ok(t, "row.quote-db.select", { table: "quotes", id: 3 }, 2000);
      assert.equal(got.exists, true);
      assert.deepEqual(got.data, { id: 3, ...linus });
      const seed = (await ok(t, "row.quote-db.select", { table: "quotes", id: 1 })).data!;
      assert.deepEqual(
        [seed.author, seed.added_at, seed.score, seed.tags],
        ["Albert Einstein", "2026-01-01T00:00:00.000000+00:00", 4, '["science"]'],
      );

      // search_quotes: $or of $like on author and text, case-insensitive, newest first.
      const search = async (query: string) => {
        const like = { $like: `%${query}%` };
        const found = await ok(t, "row.quote-db.search", {
          table: "quotes",
          filters: { $or: [{ author: like }, { text: like }] },
          sort: { field: "added_at", order: "desc" },
          limit: 10,
        }, 2000);
        return found.rows!.map((row) => row.id);
      };
      assert.deepEqual(await search("EINSTEIN"), [1]);
      // Linus (2026-12-01) before Jobs's seed (2026-01-02): inserted and seeded times sort as times.
      assert.deepEqual(await search("the"), [3, 2]);
      assert.deepEqual(await search("nobody"), []);

      // upvote_quote / downvote_quote: $inc by id, reads updated, then selects the score again.
      const vote = (id: number, by: number) =>
        ok(t, "row.quote-db.update", { table: "quotes", id, operations: { score: { $inc: by } } }, 2000);
      const score = async (id: number) => (await ok(t, "row.quote-db.select", { table: "quotes", id })).data!.score;
      assert.equal((await vote(3, 1)).updated, true);
      assert.equal(await score(3), 1);
      await vote(3, -1);
      assert.equal(await score(3), 0);
      // Twenty users upvote at once: every vote counts.
      await Promise.all(Array.from({ length: 20 }, () => vote(3, 1)));
      assert.equal(await score(3), 20);
      const gone = await vote(99, 1);
      assert.deepEqual([gone.exists, gone.updated], [false, undefined], "upvote_quote says not found");
      // increment_score: addressed by filters, reads only updated (0 means not found).
      const increment = (id: number, amount: number) =>
        send(t, "row.quote-db.update", {
          table: "quotes",
          filters: { id: { $eq: id } },
          operations: { score: { $inc: amount } },
        }, 2000);
      assert.equal((await increment(3, 5)).updated, 1);
      assert.equal((await increment(99, 5)).updated, 0);
      assert.equal(await score(3), 25);

      // top_quotes: score ≥ 1, highest first (the long quote has 0).
      const top = await send(t, "row.quote-db.search", {
        table: "quotes",
        filters: { score: { $gte: 1 } },
        sort: { field: "score", order: "desc" },
        limit: 5,
      }, 2000);
      assert.deepEqual(top.rows!.map((row) => [row.id, row.score]), [[3, 25], [2, 5], [1, 4]]);

      // The count cache expires: the plugin sends ttl 300; here 1 s, to watch it go.
      await send(t, "kv.quote-db.set", { key: "total_count", value: "4", ttl: 1 }, 1000);
      assert.equal((await send(t, "kv.quote-db.get", { key: "total_count" })).value, "4");
      await waitFor(
        async () => (await send(t, "kv.quote-db.get", { key: "total_count" })).exists === false,
        5000,
        "the count cache to expire",
      );
      assert.deepEqual((await send(t, "kv.quote-db.list", {})).keys, []);

      // delete_quote: deleted must be true (a boolean) for a quote that was there.
      assert.equal((await ok(t, "row.quote-db.delete", { table: "quotes", id: 4 }, 2000)).deleted, true);
      assert.equal((await ok(t, "row.quote-db.delete", { table: "quotes", id: 4 }, 2000)).deleted, false);
      assert.equal((await ok(t, "row.quote-db.select", { table: "quotes", id: 4 })).exists, false);
      assert.equal((await ok(t, "row.quote-db.search", { table: "quotes", filters: {}, limit: 10000 })).count, 3);
    });

    await test.step("trivia: register its tables, play with concurrent $inc/$set, read the leaderboards", async () => {
      for (const [table, schema] of Object.entries(TRIVIA_SCHEMAS)) {
        assert.equal((await ok(t, "row.trivia.schema.register", { table, schema })).registered, "created", table);
        assert.equal((await ok(t, "row.trivia.schema.register", { table, schema })).registered, "unchanged", table);
      }
      const players = Array.from({ length: 12 }, (_, i) => `user${String(i + 1).padStart(2, "0")}`);
      // ensure_user_stats: _get_row_id (search by plain equality, limit 1), then insert zeros.
      const ids = new Map<string, number>();
      for (const user of players) {
        const found = await ok(t, "row.trivia.search", { table: "user_stats", filters: { user_id: user }, limit: 1 });
        assert.deepEqual(found.rows, []);
        const data = {
          user_id: user,
          total_games: 0,
          games_won: 0,
          total_questions: 0,
          correct_answers: 0,
          total_points: 0,
          current_answer_streak: 0,
          best_answer_streak: 0,
          current_win_streak: 0,
          best_win_streak: 0,
        };
        ids.set(user, (await ok(t, "row.trivia.insert", { table: "user_stats", data })).id as number);
      }
      // record_game_start: a naive started_at, as datetime.utcnow().isoformat() gives.
      const game = await ok(t, "row.trivia.insert", {
        table: "games",
        data: {
          game_id: "g1",
          channel: "#trivia",
          started_by: "user01",
          num_questions: 10,
          num_players: 0,
          started_at: NAIVE,
          status: "active",
        },
      });

      // update_user_stats for every player at once, each game's $inc (0 included) and $set in one request:
      // player n plays n games, so user12 has 12 concurrent updates in flight.
      const updates = players.flatMap((user, n) =>
        Array.from({ length: n + 1 }, (_, game) =>
          ok(t, "row.trivia.update", {
            table: "user_stats",
            id: ids.get(user),
            operations: {
              total_games: { $inc: 1 },
              games_won: { $inc: game % 2 },
              total_questions: { $inc: 10 },
              correct_answers: { $inc: 7 },
              total_points: { $inc: 70 },
              current_win_streak: { $set: 0 },
              fastest_answer_ms: { $set: 1500 },
            },
          }))
      );
      await Promise.all(updates);
      const stats = (await ok(t, "row.trivia.search", { table: "user_stats", filters: { user_id: "user12" } })).rows!;
      assert.deepEqual(
        [stats[0].total_games, stats[0].games_won, stats[0].correct_answers, stats[0].total_points],
        [12, 6, 84, 840],
      );
      // update_streak: plain data.
      await ok(t, "row.trivia.update", {
        table: "user_stats",
        id: ids.get("user03"),
        data: { current_answer_streak: 4, best_answer_streak: 9 },
      });

      // update_channel_stats: an insert per player in #trivia (and one in #other), then $inc at once.
      for (const [n, user] of players.entries()) {
        await ok(t, "row.trivia.insert", {
          table: "channel_stats",
          data: {
            user_id: user,
            channel: "#trivia",
            games_played: 1,
            games_won: 0,
            total_points: n,
            correct_answers: 1,
          },
        });
      }
      await ok(t, "row.trivia.insert", {
        table: "channel_stats",
        data: { user_id: "outsider", channel: "#other", games_played: 1, games_won: 1, total_points: 10_000 },
      });
      const channelRows =
        (await ok(t, "row.trivia.search", { table: "channel_stats", filters: { channel: "#trivia" } }))
          .rows!;
      await Promise.all(channelRows.flatMap((row) =>
        Array.from({ length: 5 }, () =>
          ok(t, "row.trivia.update", {
            table: "channel_stats",
            id: row.id,
            operations: {
              games_played: { $inc: 1 },
              games_won: { $inc: 0 },
              total_points: { $inc: 100 },
              correct_answers: { $inc: 2 },
            },
          }))
      ));
      // get_channel_leaderboard: sort desc, limit 10, reading user_id, total_points, games_played, correct_answers.
      const board = await ok(t, "row.trivia.search", {
        table: "channel_stats",
        filters: { channel: "#trivia" },
        sort: { field: "total_points", order: "desc" },
        limit: 10,
      });
      assert.deepEqual(
        board.rows!.map((row) => [row.user_id, row.total_points, row.games_played, row.correct_answers]),
        players.slice(2).reverse().map((user, i) => [user, 511 - i, 6, 11]),
      );
      assert.deepEqual([board.count, board.truncated], [10, true]);
      // get_global_leaderboard: no filters at all.
      const global = await ok(t, "row.trivia.search", {
        table: "user_stats",
        sort: { field: "total_points", order: "desc" },
        limit: 10,
      });
      assert.deepEqual(global.rows!.slice(0, 3).map((row) => [row.user_id, row.total_games]), [
        ["user12", 12],
        ["user11", 11],
        ["user10", 10],
      ]);

      // record_game_end: plain data with a naive ended_at, which reads back as UTC.
      const ended = await ok(t, "row.trivia.update", {
        table: "games",
        id: game.id,
        data: { num_players: 12, winner_id: "user12", ended_at: NAIVE, status: "completed" },
      });
      assert.equal(ended.updated, true);
      const played = (await ok(t, "row.trivia.select", { table: "games", id: game.id })).data!;
      assert.deepEqual(
        [played.status, played.winner_id, played.ended_at],
        ["completed", "user12", "2026-12-01T23:31:22.042000+00:00"],
      );

      // award_achievement and get_user_achievements (no limit: the default applies).
      await ok(t, "row.trivia.insert", {
        table: "achievements",
        data: { user_id: "user12", achievement_id: "first_win", earned_at: NAIVE },
      });
      const earned = await ok(t, "row.trivia.search", { table: "achievements", filters: { user_id: "user12" } });
      assert.deepEqual(earned.rows!.map((row) => row.achievement_id), ["first_win"]);

      // update_category_stats, then the favourite category (questions_seen desc, limit 1) into user_stats.
      for (const category of ["science", "history"]) {
        await ok(t, "row.trivia.insert", {
          table: "category_stats",
          data: { user_id: "user12", category, questions_seen: 1, correct_answers: 0 },
        });
      }
      const history = (await ok(t, "row.trivia.search", {
        table: "category_stats",
        filters: { user_id: "user12", category: "history" },
        limit: 1,
      })).rows![0];
      await ok(t, "row.trivia.update", {
        table: "category_stats",
        id: history.id,
        operations: { questions_seen: { $inc: 1 }, correct_answers: { $inc: 1 } },
      });
      const favourite = await ok(t, "row.trivia.search", {
        table: "category_stats",
        filters: { user_id: "user12" },
        sort: { field: "questions_seen", order: "desc" },
        limit: 1,
      });
      assert.equal(favourite.rows![0].category, "history");
      await ok(t, "row.trivia.update", {
        table: "user_stats",
        id: ids.get("user12"),
        data: { favorite_category: favourite.rows![0].category },
      });
    });

    await test.step("countdown: migrate, insert, select, update and delete by filters; a duplicate is a CONFLICT", async () => {
      // _check_migrations: status ({}, 5 s) needs version 2; the operator applies them ({}, as its README shows).
      assert.equal((await ok(t, "migrate.countdown.status", {}, 5000)).current_version, 0);
      const applied = await ok(t, "migrate.countdown.apply", {}, 30_000);
      assert.deepEqual([(applied.applied as Row[]).map((m) => m.version), applied.current_version], [[1, 2], 2]);

      // _storage_insert: aware times, booleans, nulls; reads result["id"] without looking at success.
      const insert = (name: string, channel: string, target_time: string, extra: Row = {}) =>
        send(t, "row.countdown.insert", {
          table: "countdowns",
          data: {
            name,
            channel,
            target_time,
            created_by: "alice",
            created_at: "2026-12-01T12:00:00.000000+00:00",
            is_recurring: false,
            recurrence_rule: null,
            // A boolean into the INTEGER column its migration 002 made, as countdown sends it.
            is_paused: false,
            alert_minutes: "5,1",
            last_alert_sent: null,
            completed: false,
            ...extra,
          },
        }, 2000);
      assert.equal((await insert("launch", "#a", "2027-01-01T00:00:00+00:00")).id, 1);
      assert.equal((await insert("party", "#a", "2026-12-24T18:00:00+00:00")).id, 2);
      assert.equal(
        (await insert("standup", "#a", "2026-12-03T09:00:00+00:00", {
          is_recurring: true,
          recurrence_rule: "daily",
        })).id,
        3,
      );
      // The same name in another channel is another countdown.
      assert.equal((await insert("launch", "#b", "2027-02-01T00:00:00+00:00")).id, 4);
      // UNIQUE(channel, name): a CONFLICT, and no id for countdown to take by mistake.
      const duplicate = await insert("party", "#a", "2026-12-25T18:00:00+00:00");
      assert.deepEqual([duplicate.code, duplicate.success, duplicate.error?.code], ["409", false, "CONFLICT"]);
      assert.equal(duplicate.id, undefined);

      // _storage_get_by_name: select by filters, limit 1, reading rows[0]; target_time carries its offset.
      const byName = await send(t, "row.countdown.select", {
        table: "countdowns",
        filters: { channel: { $eq: "#a" }, name: { $eq: "party" } },
        limit: 1,
      }, 2000);
      const party = byName.rows![0];
      assert.deepEqual(
        [party.id, party.target_time, party.alert_minutes, party.is_recurring, party.completed],
        [2, "2026-12-24T18:00:00.000000+00:00", "5,1", false, false],
      );
      // _storage_get_for_channel: pending ones, order_by target_time asc.
      const forChannel = (channel: string) =>
        send(t, "row.countdown.select", {
          table: "countdowns",
          filters: { channel: { $eq: channel }, completed: { $eq: false } },
          order_by: [{ field: "target_time", direction: "asc" }],
          limit: 20,
        }, 2000);
      assert.deepEqual((await forChannel("#a")).rows!.map((row) => row.name), ["standup", "party", "launch"]);
      // _storage_count_for_channel: count_only, the total of matching rows.
      const countFor = async (channel: string) =>
        (await send(t, "row.countdown.select", {
          table: "countdowns",
          filters: { channel: { $eq: channel }, completed: { $eq: false } },
          count_only: true,
        }, 2000)).count;
      assert.equal(await countFor("#a"), 3);

      // _storage_mark_completed and the other updates: filters {id: {$eq}}, plain data; updated > 0.
      const update = (id: number, data: Row) =>
        send(t, "row.countdown.update", { table: "countdowns", filters: { id: { $eq: id } }, data }, 2000);
      assert.equal((await update(2, { completed: true })).updated, 1);
      assert.equal(await countFor("#a"), 2);
      await update(3, { target_time: "2026-12-04T09:00:00+00:00" });
      await update(3, { alert_minutes: "10" });
      await update(3, { is_paused: true });
      await update(3, { last_alert_sent: 1796374800 });
      const standup = (await send(t, "row.countdown.select", { table: "countdowns", id: 3 })).data!;
      assert.deepEqual(
        [standup.target_time, standup.alert_minutes, Boolean(standup.is_paused), standup.last_alert_sent],
        ["2026-12-04T09:00:00.000000+00:00", "10", true, 1796374800],
      );
      // _load_pending_countdowns: every channel's pending ones.
      const pending = await send(t, "row.countdown.select", {
        table: "countdowns",
        filters: { completed: { $eq: false } },
        limit: 1000,
      }, 5000);
      assert.deepEqual(pending.rows!.map((row) => row.id).sort(), [1, 3, 4]);

      // _storage_delete: by channel and name; deleted > 0, then 0.
      const remove = (channel: string, name: string) =>
        send(t, "row.countdown.delete", {
          table: "countdowns",
          filters: { channel: { $eq: channel }, name: { $eq: name } },
        }, 2000);
      assert.equal((await remove("#a", "launch")).deleted, 1);
      assert.equal((await remove("#a", "launch")).deleted, 0);
      assert.deepEqual((await forChannel("#b")).rows!.map((row) => row.name), ["launch"], "#b's launch stays");
    });

    await test.step("each plugin's data is in its own file, and invisible to the others over NATS", async () => {
      assert.deepEqual(tablesIn(pluginFile("quote-db")), ["quotes"]);
      assert.deepEqual(tablesIn(pluginFile("trivia")), [
        "achievements",
        "category_stats",
        "channel_stats",
        "games",
        "user_stats",
      ]);
      assert.deepEqual(tablesIn(pluginFile("countdown")), ["countdowns"]);
      // The service's own database has the tables it had before the plugins came, and none of their rows
      // (it has a user_stats and a channel_stats of its own, for chat users).
      assert.deepEqual(tablesIn(`${dir.path}/rosey.db`), serviceTables);
      for (const table of ["user_stats", "channel_stats"]) {
        assert.deepEqual(readFile(`${dir.path}/rosey.db`, `SELECT * FROM ${table}`), [], table);
      }
      // Another plugin's table is no table at all; its keys and migrations are not there either.
      for (
        const [plugin, table] of [
          ["trivia", "quotes"],
          ["countdown", "user_stats"],
          ["quote-db", "countdowns"],
          ["quote-db", "games"],
        ]
      ) {
        for (const op of ["search", "select", "update", "delete", "insert"]) {
          const body = { table, id: 1, data: { x: 1 } };
          const reply = await send(t, `row.${plugin}.${op}`, op === "search" ? { table } : body);
          assert.deepEqual([reply.code, reply.error?.code], ["404", "NOT_FOUND"], `row.${plugin}.${op} ${table}`);
        }
      }
      await send(t, "kv.trivia.set", { key: "total_count", value: "trivia's own" });
      assert.equal((await send(t, "kv.quote-db.get", { key: "total_count" })).exists, false);
      assert.deepEqual((await send(t, "kv.countdown.list", {})).keys, []);
      const triviaMigrations = await ok(t, "migrate.trivia.status", {});
      assert.deepEqual([triviaMigrations.current_version, triviaMigrations.applied_migrations], [0, []]);
    });

    await test.step("after a restart every plugin finds its data, and the expired key is gone from the file", async () => {
      await t[Symbol.asyncDispose]();
      t = await startRosey(env);
      // The plugins' start-up: status and registration again.
      assert.equal((await ok(t, "migrate.quote-db.status", {})).current_version, 3);
      assert.equal((await ok(t, "row.quote-db.schema.register", QUOTES_SCHEMA)).registered, "unchanged");
      for (const [table, schema] of Object.entries(TRIVIA_SCHEMAS)) {
        assert.equal((await ok(t, "row.trivia.schema.register", { table, schema })).registered, "unchanged");
      }
      assert.equal((await ok(t, "row.quote-db.select", { table: "quotes", id: 3 })).data!.score, 25);
      const board = await ok(t, "row.trivia.search", {
        table: "channel_stats",
        filters: { channel: "#trivia" },
        sort: { field: "total_points", order: "desc" },
        limit: 1,
      });
      assert.deepEqual([board.rows![0].user_id, board.rows![0].total_points], ["user12", 511]);
      assert.equal((await ok(t, "migrate.countdown.status", {})).current_version, 2);
      assert.equal((await send(t, "kv.trivia.get", { key: "total_count" })).value, "trivia's own");
      assert.deepEqual(readFile(pluginFile("quote-db"), "SELECT key FROM _rosey_kv"), []);
    });

    await test.step("rollback: quote-db steps back a version, then both plugins undo everything and start again", async () => {
      const back = await ok(t, "migrate.quote-db.rollback", { count: 1 });
      assert.deepEqual([(back.rolled_back as Row[]).map((m) => m.version), back.current_version], [[3], 2]);
      const quote = (await ok(t, "row.quote-db.select", { table: "quotes", id: 3 })).data!;
      assert.deepEqual([quote.score, "tags" in quote], [25, false], "the tags column went, the rest stayed");

      const none = await ok(t, "migrate.quote-db.rollback", { to_version: 0 });
      assert.deepEqual((none.rolled_back as Row[]).map((m) => m.version), [2, 1]);
      assert.deepEqual(tablesIn(pluginFile("quote-db")), []);
      // The registered table went with the rollback: NOT_FOUND (see the test "…a rollback dropped…" below).
      const gone = await send(t, "row.quote-db.search", { table: "quotes", filters: {} });
      assert.deepEqual([gone.success, gone.error?.code], [false, "NOT_FOUND"]);

      const countdown = await ok(t, "migrate.countdown.rollback", { target_version: 0 });
      assert.deepEqual([countdown.current_version, tablesIn(pluginFile("countdown"))], [0, []]);
      // Trivia, which has no migrations, lost nothing.
      assert.equal((await ok(t, "row.trivia.search", { table: "user_stats", filters: {} })).count, 12);

      // Applied again: the seeds are back, and the plugin's start-up registration adopts the new table.
      assert.equal((await ok(t, "migrate.quote-db.apply", { target_version: "latest" })).current_version, 3);
      await ok(t, "row.quote-db.schema.register", QUOTES_SCHEMA);
      const fresh = await ok(t, "row.quote-db.search", { table: "quotes", filters: {}, limit: 10000 });
      assert.deepEqual(fresh.rows!.map((row) => row.author), ["Albert Einstein", "Steve Jobs"]);
      assert.equal((await ok(t, "migrate.countdown.apply", {})).current_version, 2);
      const countdowns = await send(t, "row.countdown.select", { table: "countdowns", filters: {}, count_only: true });
      assert.equal(countdowns.count, 0);
    });
  } finally {
    await t[Symbol.asyncDispose]();
  }
});

/** Bugs this end-to-end run found in functions/row (they failed before 6578c3e). */

Deno.test({
  name:
    "rosey.db.row.countdown.insert and update take countdown's is_paused boolean into the INTEGER column its migration made",
  async fn() {
    await using dir = await tempDir();
    await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db`, PLUGINS_DIR });
    await ok(t, "migrate.countdown.apply", {});
    // countdown's _storage_insert (plugin.py:296-320) and _storage_update_paused (:583-598), as sent.
    const inserted = await send(t, "row.countdown.insert", {
      table: "countdowns",
      data: {
        name: "launch",
        channel: "#a",
        target_time: "2027-01-01T00:00:00+00:00",
        created_by: "alice",
        created_at: "2026-12-01T12:00:00+00:00",
        is_recurring: false,
        recurrence_rule: null,
        is_paused: false,
        alert_minutes: null,
        last_alert_sent: null,
        completed: false,
      },
    });
    // Before 6578c3e: 400 VALIDATION_ERROR "is_paused: must be an integer, got a boolean"; countdown then failed on result["id"].
    assert.equal(inserted.error?.message, undefined);
    assert.equal(inserted.id, 1);
    const paused = await send(t, "row.countdown.update", {
      table: "countdowns",
      filters: { id: { $eq: 1 } },
      data: { is_paused: true },
    });
    assert.equal(paused.updated, 1, `${paused.error?.message}`);
    assert.equal(Boolean((await ok(t, "row.countdown.select", { table: "countdowns", id: 1 })).data!.is_paused), true);
  },
});

Deno.test({
  name: "rosey.db.row.<plugin> answers NOT_FOUND, not a 500, for a registered table a rollback dropped",
  async fn() {
    await using dir = await tempDir();
    await using t = await startRosey({ DATABASE_PATH: `${dir.path}/rosey.db`, PLUGINS_DIR });
    await ok(t, "migrate.quote-db.apply", {});
    assert.equal((await ok(t, "row.quote-db.schema.register", QUOTES_SCHEMA)).registered, "adopted");
    await ok(t, "migrate.quote-db.rollback", { to_version: 0 });
    const quote = { text: "x", added_at: "2026-12-01T00:00:00Z", score: 0, tags: "[]" };
    for (
      const [op, body] of [
        ["search", { table: "quotes", filters: {} }],
        ["select", { table: "quotes", id: 1 }],
        ["insert", { table: "quotes", data: quote }],
        ["update", { table: "quotes", id: 1, data: { score: 1 } }],
        ["delete", { table: "quotes", id: 1 }],
      ] as const
    ) {
      // Before 6578c3e: 500 INTERNAL_ERROR (the log said "no such table: quotes").
      const reply = await send(t, `row.quote-db.${op}`, body);
      assert.deepEqual([reply.code, reply.error?.code], ["404", "NOT_FOUND"], op);
    }
  },
});
