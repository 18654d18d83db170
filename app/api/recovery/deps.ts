import { after } from 'next/server';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { getDelivery } from '@/lib/delivery';
import type { VerificationDeps } from '@/lib/verification/challenges';

export function apiVerificationDeps(): VerificationDeps {
  return { db: getPrisma(), hmacKey: getConfig().hmacKey, delivery: getDelivery(), schedule: (work) => after(work) };
}
