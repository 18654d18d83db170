// Creates or revokes a bearer key for the host platform API:
//   npm run api-key:create -- "exchange backend"    prints the new key once
//   npm run api-key:revoke -- <key id>              the key stops working at once
// Uses the server's environment (DATABASE_URL, HMAC_KEY, ...), like `npm run db:seed`: a key is
// hashed with HMAC_KEY, so it only works on a server with the same HMAC_KEY.
import { z } from 'zod';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { createApiKey, revokeApiKey } from '@/lib/platform/api-keys';

const [command, argument] = process.argv.slice(2);
const usage = 'Usage: npm run api-key:create -- "<name>"  |  npm run api-key:revoke -- <key id>';

const name = z.string().trim().min(1).max(100);
const id = z.uuid();

if (command === 'create' && name.safeParse(argument).success) {
  const config = getConfig();
  const db = getPrisma();
  const created = await createApiKey({ db, hmacKey: config.hmacKey, name: name.parse(argument) });
  await db.$disconnect();
  console.log(`Created API key "${name.parse(argument)}" (id ${created.id}, prefix ${created.prefix}).\n`);
  console.log(`  ${created.key}\n`);
  // Only a keyed hash is stored, so nobody (this command included) can show the key again.
  console.log('Copy it now: this is the only time it is shown. If it is lost, revoke it and create another.');
  console.log(`Send it as "Authorization: Bearer <key>". Revoke with: npm run api-key:revoke -- ${created.id}`);
} else if (command === 'revoke' && id.safeParse(argument).success) {
  const db = getPrisma();
  const keyId = argument!.toLowerCase();
  const { revoked } = await revokeApiKey({ db, id: keyId, now: new Date() });
  await db.$disconnect();
  if (!revoked) {
    console.error(`No active API key has the id ${keyId} (unknown, or already revoked).`);
    process.exit(1);
  }
  console.log(`Revoked API key ${keyId}: requests with it are refused from now on.`);
} else {
  console.error(usage);
  process.exit(2);
}
