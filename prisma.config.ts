import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'prisma/config'

// The CLI would download its native schema engine from binaries.prisma.sh, which is unreachable
// here. It loads this file before it looks for (or downloads) the engine, so pointing it at our
// WebAssembly-backed stand-in now makes every `prisma` command work offline.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'prisma',
  'schema-engine.mjs',
)

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: {
    path: 'prisma/migrations',
    seed: 'tsx --import ./scripts/server-only.mjs scripts/seed.ts',
  },
  // Read leniently: env('DATABASE_URL') throws when unset, which would break `prisma generate`
  // and other commands that never touch the database.
  datasource: {
    url: process.env.DATABASE_URL,
  },
})
