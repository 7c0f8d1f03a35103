/** Which function file each client method calls, and what a request resolves to when it times out. */
import conversationArchive from "../functions/conversation/archive.ts";
import conversationClose from "../functions/conversation/close.ts";
import conversationCreate from "../functions/conversation/create.ts";
import conversationDelete from "../functions/conversation/delete.ts";
import conversationExport from "../functions/conversation/export.ts";
import conversationGet from "../functions/conversation/get.ts";
import conversationList from "../functions/conversation/list.ts";
import conversationUnarchive from "../functions/conversation/unarchive.ts";
import messageByRequest from "../functions/conversation/message/by_request.ts";
import messageBySource from "../functions/conversation/message/by_source.ts";
import messageCount from "../functions/conversation/message/count.ts";
import messageLast from "../functions/conversation/message/last.ts";
import messageList from "../functions/conversation/message/list.ts";
import messageSave from "../functions/conversation/message/save.ts";
import messageSearch from "../functions/conversation/message/search.ts";
import actionLog from "../functions/action/log.ts";
import pmCommand from "../functions/action/pm_command.ts";
import maintenance from "../functions/admin/maintenance.ts";
import messageLog from "../functions/message/log.ts";
import outboundEnqueue from "../functions/messages/outbound/enqueue.ts";
import outboundGet from "../functions/messages/outbound/get.ts";
import markFailed from "../functions/messages/outbound/mark_failed.ts";
import markSent from "../functions/messages/outbound/mark_sent.ts";
import channelStats from "../functions/query/channel_stats.ts";
import userStats from "../functions/query/user_stats.ts";
import highWater from "../functions/stats/high_water.ts";
import recentChat from "../functions/stats/recent_chat/get.ts";
import userCount from "../functions/stats/user_count.ts";
import userCountHistory from "../functions/stats/user_count/history.ts";
import statusGet from "../functions/status/get.ts";
import statusUpdate from "../functions/status/update.ts";
import tokenCreate from "../functions/token/create.ts";
import tokenList from "../functions/token/list.ts";
import tokenRevoke from "../functions/token/revoke.ts";
import tokenValidate from "../functions/token/validate.ts";
import userJoined from "../functions/user/joined.ts";
import userLeft from "../functions/user/left.ts";

/** Event methods: fire-and-forget. */
export const EVENTS = {
  userJoined: { subject: "user.joined", fn: userJoined },
  userLeft: { subject: "user.left", fn: userLeft },
  logMessage: { subject: "message.log", fn: messageLog },
  recordUserCount: { subject: "stats.user_count", fn: userCount },
  updateHighWater: { subject: "stats.high_water", fn: highWater },
  updateStatus: { subject: "status.update", fn: statusUpdate },
  markSent: { subject: "messages.outbound.mark_sent", fn: markSent },
  markFailed: { subject: "messages.outbound.mark_failed", fn: markFailed },
  logPmCommand: { subject: "action.pm_command", fn: pmCommand },
  logAction: { subject: "action.log", fn: actionLog },
} as const;

const NO_STATUS = {
  bot_name: null,
  bot_rank: null,
  bot_afk: null,
  channel_name: null,
  current_chat_users: null,
  current_connected_users: null,
  playlist_items: null,
  current_media_title: null,
  current_media_duration: null,
  bot_start_time: null,
  bot_connected: null,
  last_updated: null,
};

/** Request methods and their fallbacks when the service does not answer in time. */
export const REQUESTS = {
  outboundDue: { subject: "messages.outbound.get", fn: outboundGet, fallback: [] as never[] },
  enqueueOutbound: { subject: "messages.outbound.enqueue", fn: outboundEnqueue, fallback: null },
  recentChat: { subject: "stats.recent_chat.get", fn: recentChat, fallback: [] as never[] },
  userCountHistory: { subject: "stats.user_count.history", fn: userCountHistory, fallback: [] as never[] },
  channelStats: {
    subject: "query.channel_stats",
    fn: channelStats,
    fallback: {
      high_water_mark: { users: 0, timestamp: null },
      high_water_connected: { users: 0, timestamp: null },
      top_chatters: [] as never[],
      total_users_seen: 0,
    },
  },
  status: { subject: "status.get", fn: statusGet, fallback: NO_STATUS },
  userStats: { subject: "query.user_stats", fn: userStats, fallback: { found: false as const } },
  createToken: { subject: "token.create", fn: tokenCreate, fallback: null },
  validateToken: { subject: "token.validate", fn: tokenValidate, fallback: { valid: false } },
  revokeToken: { subject: "token.revoke", fn: tokenRevoke, fallback: { revoked: 0 } },
  listTokens: { subject: "token.list", fn: tokenList, fallback: [] as never[] },
  maintenance: { subject: "admin.maintenance", fn: maintenance, fallback: null },
  createConversation: { subject: "conversation.create", fn: conversationCreate, fallback: null },
  getConversation: { subject: "conversation.get", fn: conversationGet, fallback: null },
  listConversations: {
    subject: "conversation.list",
    fn: conversationList,
    fallback: { conversations: [] as never[], next_before: null },
  },
  archiveConversation: { subject: "conversation.archive", fn: conversationArchive, fallback: null },
  unarchiveConversation: { subject: "conversation.unarchive", fn: conversationUnarchive, fallback: null },
  closeConversation: { subject: "conversation.close", fn: conversationClose, fallback: null },
  deleteConversation: { subject: "conversation.delete", fn: conversationDelete, fallback: null },
  exportConversation: { subject: "conversation.export", fn: conversationExport, fallback: null },
  saveMessage: { subject: "conversation.message.save", fn: messageSave, fallback: null },
  listMessages: {
    subject: "conversation.message.list",
    fn: messageList,
    fallback: { messages: [] as never[], next_after: null },
  },
  lastMessages: { subject: "conversation.message.last", fn: messageLast, fallback: [] as never[] },
  countMessages: { subject: "conversation.message.count", fn: messageCount, fallback: { count: 0 } },
  messagesBySource: { subject: "conversation.message.by_source", fn: messageBySource, fallback: [] as never[] },
  messagesByRequest: { subject: "conversation.message.by_request", fn: messageByRequest, fallback: [] as never[] },
  searchMessages: { subject: "conversation.message.search", fn: messageSearch, fallback: [] as never[] },
} as const;
