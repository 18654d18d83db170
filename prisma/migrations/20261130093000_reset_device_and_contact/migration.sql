-- AlterEnum
ALTER TYPE "ChallengePurpose" ADD VALUE 'RESET_APPROVAL';

-- AlterTable
ALTER TABLE "RecoveryReset" ADD COLUMN     "deviceChallengeId" UUID;

-- AlterTable
ALTER TABLE "RecoveryReset" ADD COLUMN     "contactChallengeId" UUID,
ADD COLUMN     "newContact" TEXT;

