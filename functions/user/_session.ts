/** Crediting connected time: shared by user.left and a "disconnected" status. */

/** Adds the open session's time to total_time_connected and closes it; `where` is a constant condition. */
export const CREDIT_SESSION = `UPDATE user_stats SET
    total_time_connected = total_time_connected + max(0, ?1 - current_session_start),
    current_session_start = NULL,
    last_seen = max(last_seen, ?1)
  WHERE current_session_start IS NOT NULL`;
