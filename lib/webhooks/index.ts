export { DELIVER_WEBHOOK_TASK, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_QUEUE, enqueueWebhook } from './enqueue';
export { deliverWebhookTask, requeueWaitingWebhooks, WEBHOOK_TIMEOUT_MS, type DeliverWebhookDeps, type WebhookEndpoint } from './deliver';
export { signWebhook, verifyWebhookSignature } from './signing';
export { purgeDeliveredWebhooks } from './retention';
