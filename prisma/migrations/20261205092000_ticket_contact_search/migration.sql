-- Agents find requests by the email address a person quotes (lib/recovery/console/search.ts).
CREATE INDEX "RecoveryTicket_contactEmail_idx" ON "RecoveryTicket"("contactEmail");
