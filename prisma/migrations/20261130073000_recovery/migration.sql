-- AlterTable
ALTER TABLE "RecoveryTicket" ADD COLUMN     "resetTokenExpiresAt" TIMESTAMP(3),
ADD COLUMN     "resetTokenHash" BYTEA;

-- AlterTable
ALTER TABLE "TicketDocument" ADD COLUMN     "checkResult" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "RecoveryReset" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "lostFactor" TEXT NOT NULL,
    "challengeId" UUID NOT NULL,
    "proofs" TEXT[],
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RecoveryReset_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "RecoveryReset_challengeId_key" ON "RecoveryReset"("challengeId");

-- CreateIndex
CREATE INDEX "RecoveryReset_userId_createdAt_idx" ON "RecoveryReset"("userId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "RecoveryTicket_resetTokenHash_key" ON "RecoveryTicket"("resetTokenHash");

-- AddForeignKey
ALTER TABLE "RecoveryReset" ADD CONSTRAINT "RecoveryReset_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

