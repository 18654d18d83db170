-- The approval link is bound to the browser that first opens it (docs/recovery-policy.md).
ALTER TABLE "RecoveryTicket" ADD COLUMN "resetLinkBrowserHash" BYTEA;
