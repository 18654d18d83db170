-- Number matching and the change a device approval is asked for.
ALTER TABLE "VerificationChallenge" ADD COLUMN "approvalNumber" INTEGER,
ADD COLUMN "approvalChange" TEXT,
-- The channel of the code that was actually entered: the proof a recovery challenge established.
ADD COLUMN "verifiedChannel" "Channel";

-- A reset is driven by a secret held only by the browser that started it; the database keeps its keyed hash.
ALTER TABLE "RecoveryReset" ADD COLUMN "browserKeyHash" BYTEA;
CREATE UNIQUE INDEX "RecoveryReset_browserKeyHash_key" ON "RecoveryReset"("browserKeyHash");
