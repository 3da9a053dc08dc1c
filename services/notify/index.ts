// Notify entry: telling a manager without the dashboard, through an outbox sent by the NotificationSend job.
export { createNotifier, type Notifier, type NotifierDeps, type TickResult } from './notifier.ts';
export { createSendHandler, retryDelayMs, type SenderDeps } from './outbox-sender.ts';
export { planNotifications, cooldownKeyOf, type PlanCounts } from './planner.ts';
export { deliverTo, defaultTransports, idempotencyKeyOf, resendsUnknown, type DeliveryContext, type Transports } from './channel-delivery.ts';
export type { DeliveryResult } from './delivery.ts';
export { dingtalkSign, feishuSign, formatRequest, platformError, type FormatInput, type HttpChannelType, type HttpRequestPlan } from './chat-formats.ts';
export { jsonPoster, postJson, redactUrl, type HttpPost, type HttpTransport } from './http-delivery.ts';
export { sendMail, dotStuff, type Envelope, type SmtpOptions } from './smtp-client.ts';
export { buildEmail, encodeHeader, rfc5322Date } from './email-message.ts';
export { render, toMarkdown, toPlainText, factsOf, violationLink, type NotificationMessage, type RenderedMessage, type ViolationFacts } from './message.ts';
export { WORDS, languageFor, type MessageWords, type NotifyLanguage } from './message-words.ts';
export { formatLocal, latestEndedShift, zonedToUtc, type ShiftWindow } from './local-time.ts';
export { digestMessage, type DigestMessage } from './digest.ts';
