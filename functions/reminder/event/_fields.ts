/** The fields of an event a bot sets. */
import { z } from "zod";
import { name } from "../../../shared/function/text.ts";

export const Emojis = z.array(name().trim().min(1).max(100)).max(50);
export const IntervalMinutes = z.number().int().min(1).max(525_600);
