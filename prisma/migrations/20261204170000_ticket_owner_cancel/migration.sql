-- Identity-document tickets the account owner can stop (docs/security.md rule 27) and whose contact
-- address is proved before anything else is sent to it.

-- A code that proves the typed contact address before the ticket enters the queue.
ALTER TYPE "ChallengePurpose" ADD VALUE 'TICKET_CONTACT';

-- Null = the contact address is confirmed (every ticket opened before this change was); a time =
-- still unconfirmed, and housekeeping expires the ticket after it.
ALTER TABLE "RecoveryTicket" ADD COLUMN "contactUnconfirmedUntil" TIMESTAMP(3),
-- An approval made on documents alone changes nothing before this time (the cancel window).
ADD COLUMN "applyNotBefore" TIMESTAMP(3),
-- Opened without a verified recovery code: counts against the global hourly budget.
ADD COLUMN "openedUnverified" BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX "RecoveryTicket_openedUnverified_createdAt_idx" ON "RecoveryTicket"("openedUnverified", "createdAt");
CREATE INDEX "RecoveryTicket_contactUnconfirmedUntil_idx" ON "RecoveryTicket"("contactUnconfirmedUntil");

-- The owner's "This wasn't me" links: one per notice, single use, stored only as a keyed hash
-- (rules 1 and 26).
CREATE TABLE "TicketCancelToken" (
    "id" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "tokenHash" BYTEA NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TicketCancelToken_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "TicketCancelToken_tokenHash_key" ON "TicketCancelToken"("tokenHash");
CREATE INDEX "TicketCancelToken_ticketId_idx" ON "TicketCancelToken"("ticketId");
ALTER TABLE "TicketCancelToken" ADD CONSTRAINT "TicketCancelToken_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "RecoveryTicket"("id") ON DELETE CASCADE ON UPDATE CASCADE;
