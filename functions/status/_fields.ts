/** The fields of current_status a bot may set, with the types they accept. */
import { z } from "zod";
import { name, text } from "../../shared/function/text.ts";
import { count, unixSeconds } from "../../shared/function/numbers.ts";

/** On or off: a boolean, or 0 and 1 as the old service stored them. */
const flag = z.union([z.boolean(), z.number().int().min(0).max(1)]).transform((v) => Number(v)).nullable();

export const StatusFields = z.object({
  bot_name: name().nullable(),
  bot_rank: z.number().nullable(),
  bot_afk: flag,
  channel_name: name().nullable(),
  current_chat_users: count().nullable(),
  current_connected_users: count().nullable(),
  playlist_items: count().nullable(),
  current_media_title: text().nullable(),
  current_media_duration: z.number().nonnegative().nullable(),
  bot_start_time: unixSeconds().nullable(),
  bot_connected: flag,
});

/** The 11 column names; the only identifiers a status update may name. */
export const STATUS_COLUMNS = Object.keys(StatusFields.shape) as (keyof typeof StatusFields.shape)[];
