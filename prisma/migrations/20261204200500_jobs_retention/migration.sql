-- Retention purges (lib/*/retention.ts) select old rows by these columns in bounded batches.
CREATE INDEX "Session_expiresAt_idx" ON "Session"("expiresAt");
CREATE INDEX "SignInEvent_createdAt_idx" ON "SignInEvent"("createdAt");
CREATE INDEX "RateLimitBucket_updatedAt_idx" ON "RateLimitBucket"("updatedAt");
CREATE INDEX "ArticleView_day_idx" ON "ArticleView"("day");
CREATE INDEX "WebhookDelivery_status_deliveredAt_idx" ON "WebhookDelivery"("status", "deliveredAt");

-- Views older than the retention period, counted per article before their rows go.
CREATE TABLE "ArticleViewTotal" (
    "slug" TEXT NOT NULL,
    "views" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "ArticleViewTotal_pkey" PRIMARY KEY ("slug")
);

-- Write order of webhook events: the host receives them in this order.
ALTER TABLE "WebhookDelivery" ADD COLUMN "sequence" BIGSERIAL NOT NULL;
CREATE UNIQUE INDEX "WebhookDelivery_sequence_key" ON "WebhookDelivery"("sequence");
