-- The SLA clock stops while a ticket waits for the person (MORE_INFO_REQUESTED).
ALTER TABLE "RecoveryTicket" ADD COLUMN "slaPausedAt" TIMESTAMP(3);
