/** The fields of current_status a bot may set, with the types they accept. */
import { z } from "zod";
import { name, text } from "../../shared/function/text.ts";

const flag = z.union([z.boolean(), z.number().int()]).transform((v) => Number(v)).nullable();
const count = z.number().int().nonnegative().nullable();

export const StatusFields = z.object({
  bot_name: name().nullable(),
  bot_rank: z.number().nullable(),
  bot_afk: flag,
  channel_name: name().nullable(),
  current_chat_users: count,
  current_connected_users: count,
  playlist_items: count,
  current_media_title: text().nullable(),
  current_media_duration: z.number().nonnegative().nullable(),
  bot_start_time: z.number().nonnegative().nullable(),
  bot_connected: flag,
});

/** The 11 column names; the only identifiers a status update may name. */
export const STATUS_COLUMNS = Object.keys(StatusFields.shape) as (keyof typeof StatusFields.shape)[];
