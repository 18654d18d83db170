-- A verification challenge names its subject (docs/security.md rule 2: a code works only for the
-- challenge, and so the subject, that created it). Ticket and reset codes used to keep their
-- ticket's or reset's id in "identifierHash"; that column now holds only the keyed hash of what a
-- person typed.
CREATE TYPE "ChallengeSubject" AS ENUM ('IDENTIFIER', 'TICKET', 'RESET');

ALTER TABLE "VerificationChallenge"
  ADD COLUMN "subjectType" "ChallengeSubject" NOT NULL DEFAULT 'IDENTIFIER',
  ADD COLUMN "subjectId" UUID,
  ALTER COLUMN "identifierHash" DROP NOT NULL;

-- Ticket codes. A real one (it has a code) held its ticket id's 16 bytes; a decoy (no code) holds
-- 16 bytes of a keyed hash of what was typed, and keeps them.
UPDATE "VerificationChallenge"
SET "subjectType" = 'TICKET',
    "subjectId" = CASE WHEN "codeHash" IS NOT NULL AND length("identifierHash") = 16 THEN encode("identifierHash", 'hex')::uuid END,
    "identifierHash" = CASE WHEN "codeHash" IS NOT NULL AND length("identifierHash") = 16 THEN NULL ELSE "identifierHash" END
WHERE "purpose" IN ('TICKET_STATUS', 'VIDEO_CALL', 'TICKET_CONTACT');

-- A reset's code to a new contact and its device approvals held the reset id's 16 bytes.
UPDATE "VerificationChallenge"
SET "subjectType" = 'RESET',
    "subjectId" = encode("identifierHash", 'hex')::uuid,
    "identifierHash" = NULL
WHERE "purpose" IN ('CONTACT_CHANGE', 'RESET_APPROVAL') AND length("identifierHash") = 16;

-- Exactly one of the two names the subject, and a typed identifier is never named by an id.
ALTER TABLE "VerificationChallenge" ADD CONSTRAINT "VerificationChallenge_subject_check"
  CHECK (("subjectId" IS NULL) <> ("identifierHash" IS NULL) AND ("subjectType" <> 'IDENTIFIER' OR "subjectId" IS NULL));

CREATE INDEX "VerificationChallenge_subjectType_subjectId_idx" ON "VerificationChallenge"("subjectType", "subjectId");
