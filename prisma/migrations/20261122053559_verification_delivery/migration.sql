-- AlterTable
ALTER TABLE "OutboundMessage" ADD COLUMN     "challengeId" UUID;

-- AlterTable
ALTER TABLE "TrustedDevice" ADD COLUMN     "tokenHash" BYTEA;

-- CreateIndex
CREATE INDEX "OutboundMessage_challengeId_idx" ON "OutboundMessage"("challengeId");

-- CreateIndex
CREATE UNIQUE INDEX "TrustedDevice_tokenHash_key" ON "TrustedDevice"("tokenHash");

