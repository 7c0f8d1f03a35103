/**
 * The admin page in a real browser: Debian's chromium, headless, driven by puppeteer-core. Skipped with
 * a notice where chromium is not installed (.ci/run installs it when it can). With
 * ADMIN_PAGE_SCREENSHOT=docs/admin-page.png it also writes the README's screenshot.
 */
import assert from "node:assert/strict";
import puppeteer, { type Page } from "puppeteer-core";
import { createLogger } from "../../../shared/log.ts";
import { ask, publish, rows, startTestService, tempDir, waitFor } from "../../_helpers.ts";

const TOKEN = "admin-token-for-the-browser";
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});
if (!CHROMIUM) console.warn("NOTICE: chromium is not installed: the admin page's browser test is skipped");

type DeadLetter = { id: number };

/** Clicks `selector` and waits for the page it loads. */
async function clickAndLoad(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

Deno.test({
  name: "admin page in Chromium: log in with the token, replay a dead letter, and the event is stored",
  ignore: !CHROMIUM,
  // puppeteer keeps its own timers and pipes to the browser process until it is closed.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using backups = await tempDir();
    const lines: string[] = [];
    await using t = await startTestService({
      env: { MAINTENANCE_INTERVAL: "0", ADMIN_TOKEN: TOKEN, BACKUP_DIR: backups.path },
      tuning: { functionsDir: "functions" },
      log: createLogger({ level: "INFO", write: (line) => lines.push(line) }),
    });
    // A mark_sent for a message that does not exist yet: dead-lettered now, stored once replayed.
    await publish(t, "messages.outbound.mark_sent", { message_id: 1 });
    await publish(t, "user.joined", { username: "", note: "<img src=x onerror=alert(1)>" });
    const dead = await waitFor(async () => {
      const list = await ask<DeadLetter[]>(t, "admin.dead_letters.list", { subject: "messages.outbound.mark_sent" });
      return list.length === 1 ? list[0] : undefined;
    });
    await ask(t, "messages.outbound.enqueue", { message: "late" });

    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // As root (CI containers) Chromium runs only without its sandbox; /dev/shm is small in containers.
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const alerts: string[] = [];
      page.on("dialog", (dialog) => {
        alerts.push(dialog.message());
        dialog.dismiss();
      });
      await page.goto(`${t.service.httpUrl}/admin`);
      await page.type("#token", TOKEN);
      await clickAndLoad(page, "form[action='/admin/login'] button");
      assert.equal(await page.evaluate("document.cookie"), "", "the session cookie is HttpOnly");
      await page.waitForSelector(`tr[data-dead-letter="${dead.id}"]`);

      await clickAndLoad(page, "form[action='/admin/backup'] button");
      assert.match(await page.$eval("#backups", (table) => table.textContent ?? ""), /rosey-db-.+\.db/);
      // The script's live rates under the page's CSP: a figure replaces the dash after two polls.
      for (let i = 0; i < 20; i++) await publish(t, "user.joined", { username: `user${i}` });
      await page.waitForFunction(
        // Evaluated in the page (a string: these tests are type-checked without the DOM library).
        `/^\\d/.test(document.querySelector("tr[data-subject='user.joined'] .rate")?.textContent ?? "")`,
        { timeout: 10_000 },
      );
      const screenshot = Deno.env.get("ADMIN_PAGE_SCREENSHOT");
      if (screenshot) await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });

      await clickAndLoad(page, `tr[data-dead-letter="${dead.id}"] button[formaction$="/replay"]`);
      assert.equal(new URL(page.url()).search, "?replayed=1");
      assert.match(await page.$eval(".notice", (notice) => notice.textContent ?? ""), /Replayed 1 dead letter/);
      assert.equal(await page.$(`tr[data-dead-letter="${dead.id}"]`), null, "the dead letter is gone from the page");
      await waitFor(async () => (await rows(t, "SELECT sent FROM outbound_messages WHERE id = 1"))[0]?.sent === 1);
      assert.deepEqual(
        (await ask<DeadLetter[]>(t, "admin.dead_letters.list", { subject: "messages.outbound.mark_sent" })).length,
        0,
      );
      assert.deepEqual(alerts, [], "no payload ran as script");
      assert.ok(
        lines.some((line) => line.includes('"audit":"admin.dead_letters.replay"') && line.includes("admin-page")),
      );
    } finally {
      await browser.close();
    }
  },
});
