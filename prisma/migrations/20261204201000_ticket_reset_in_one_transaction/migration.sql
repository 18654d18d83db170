-- An approved ticket's reset commits as one transaction (docs/security.md rule 28); its link is issued
-- by a job of its own, whose mail is queued in the same transaction as the link.

-- When the reset after the approval committed (lost factors removed, sessions ended, hold started).
ALTER TABLE "RecoveryTicket" ADD COLUMN "resetAppliedAt" TIMESTAMP(3),
-- The queued OutboundMessage carrying the approval link (its status is the link mail's status).
ADD COLUMN "resetLinkMessageId" TEXT;

-- Tickets whose link was issued before this change had their reset applied.
UPDATE "RecoveryTicket" SET "resetAppliedAt" = "updatedAt" WHERE "resetTokenHash" IS NOT NULL;
