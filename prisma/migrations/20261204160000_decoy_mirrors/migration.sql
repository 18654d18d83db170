-- Decoys mirror real answers (docs/security.md rule 25). Every account gets a random place on a ring
-- (random() is evaluated per row, existing accounts included); a decoy mirrors the account at its
-- identifier's keyed-hash position, found through the index in one step.
ALTER TABLE "User" ADD COLUMN "sampleKey" DOUBLE PRECISION NOT NULL DEFAULT random();
CREATE INDEX "User_sampleKey_idx" ON "User"("sampleKey");

-- What a challenge shows for a channel the account cannot receive, fixed when it starts.
ALTER TABLE "VerificationChallenge" ADD COLUMN "standInPhoneMasked" TEXT,
ADD COLUMN "standInEmailMasked" TEXT;
