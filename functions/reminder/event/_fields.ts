/** The fields of an event a bot sets. */
import { z } from "zod";

export const Emojis = z.array(z.string().trim().min(1).max(100)).max(50);
export const IntervalMinutes = z.number().int().min(1).max(525_600);
