#!/usr/bin/env node
// Offline stand-in for Prisma's native `schema-engine` binary (selected through
// PRISMA_SCHEMA_ENGINE_BINARY, see prisma.config.ts). The native binary is downloaded from
// binaries.prisma.sh, which we cannot reach; this script speaks the same protocol but runs the
// official WebAssembly build of the engine over node-postgres. stdout carries JSON-RPC only,
// so every log goes to stderr as the JSON lines the CLI expects there.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils'
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg'

// The CLI keeps the `message` of each stderr line and reads error codes from ERROR lines.
const log = (level, message, extra = {}) =>
  process.stderr.write(`${JSON.stringify({ level, target: 'schema_engine::logger', fields: { message, ...extra } })}\n`)

// Same parser as node-postgres itself; taken through pg so it is always the copy pg uses.
const parseUrl = createRequire(createRequire(import.meta.url).resolve('pg'))('pg-connection-string').parse

// adapter-pg 7.10 rejects PostgreSQL's internal "char" type (OID 18), which the engine reads
// from pg_catalog whenever it describes a database; it is a one-byte string, so read it as text.
const addFields = pg.Result.prototype.addFields
pg.Result.prototype.addFields = function (fields) {
  for (const field of fields) if (field.dataTypeID === 18) field.dataTypeID = 25
  return addFields.call(this, fields)
}

// Discrete connection settings rather than a connection string: pg lets a connectionString
// override `database`, which made adapter-pg's shadow database silently point at the main one.
function pgConfig(url) {
  const { schema, ...config } = parseUrl(url)
  return { config, schema }
}

// adapter-pg runs a script by splitting it on every ";", which breaks migrations containing
// $$-quoted function bodies or string literals. Send it whole, in one simple-protocol query,
// as the native engine does.
async function connect(config, options) {
  const adapter = await new PrismaPg(config, options).connect()
  adapter.executeScript = async (script) => {
    try {
      await adapter.underlyingDriver().query(script)
    } catch (error) {
      adapter.onError(error)
    }
  }
  return adapter
}

class MigrationAdapterFactory {
  provider = 'postgres'
  adapterName = '@prisma/adapter-pg'

  constructor({ url, shadowDatabaseUrl } = {}) {
    this.url = url
    this.shadowDatabaseUrl = shadowDatabaseUrl
  }

  // The wasm engine connects (and queries) as soon as it starts, so unlike the native binary it
  // needs a reachable database even for `migrate diff --from-empty --to-schema`.
  async connect() {
    if (!this.url) throw new Error('The wasm schema engine needs a database: set DATABASE_URL.')
    const { config, schema } = pgConfig(this.url)
    return connect(config, { schema })
  }

  // Replaces adapter-pg's version, which drops the shadow database while its own pool still
  // holds connections to it (so the DROP fails) and never closes the admin pool.
  async connectToShadowDb() {
    if (this.shadowDatabaseUrl) return this.connectToProvidedShadowDb()
    const admin = await this.connect()
    const database = `prisma_migrate_shadow_db_${randomUUID()}`
    await admin.executeScript(`CREATE DATABASE "${database}"`)
    const shadow = await connect({ ...pgConfig(this.url).config, database })
    const closeShadowPool = shadow.dispose.bind(shadow)
    shadow.dispose = async () => {
      try {
        await closeShadowPool()
        await admin.executeScript(`DROP DATABASE IF EXISTS "${database}"`)
      } finally {
        await admin.dispose()
      }
    }
    return shadow
  }

  // The engine expects an empty shadow database each time; a provided one is reused, so empty
  // it here as the native engine does.
  async connectToProvidedShadowDb() {
    const { config, schema = 'public' } = pgConfig(this.shadowDatabaseUrl)
    const shadow = await connect(config, { schema })
    await shadow.executeScript(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; CREATE SCHEMA "${schema}"`)
    return shadow
  }
}

// The package's own entry point needs --experimental-wasm-modules, so instantiate by hand.
async function loadWasm() {
  const wasmFile = new URL('schema_engine_bg.wasm', import.meta.resolve('@prisma/schema-engine-wasm'))
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmFile), { './schema_engine_bg.js': bindings })
  bindings.__wbg_set_wasm(instance.exports)
  instance.exports.__wbindgen_start()
}

// Shape the CLI expects: a code in data.error_code is shown as "Pxxxx" above the message.
function toRpcError(error, errorRegistry) {
  // Plain JS errors thrown inside the adapter come back only as "External error id#N".
  const external = /External error id#(\d+)/.exec(error?.message ?? '')
  if (external) error = errorRegistry.consumeError(Number(external[1]))?.error ?? error
  const isPanic = error instanceof WebAssembly.RuntimeError
  const data = { is_panic: isPanic, message: String(error?.message ?? error), error_code: error?.code, meta: error?.meta }
  return { code: 4466, message: 'An error happened. Check the data field for details.', data }
}

async function serve(datamodels, datasource) {
  await loadWasm()
  const adapter = bindMigrationAwareSqlAdapterFactory(new MigrationAdapterFactory(datasource))
  // The engine's own log lines are already in the JSON format the CLI reads from stderr.
  const forwardLog = (line) => process.stderr.write(line.endsWith('\n') ? line : `${line}\n`)
  const starting = bindings.SchemaEngine.new({ datamodels }, forwardLog, adapter)
  // A failed start (e.g. database unreachable) is reported as the answer to each request, as the
  // CLI only shows errors it gets that way; an unhandled rejection would leave it hanging.
  starting.catch(() => {})
  const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`)
  let queue = Promise.resolve()
  let printId = 0
  const handle = async ({ id, method, params }) => {
    try {
      const engine = await starting
      // The wasm engine names it `version`; the binary's RPC name is `getDatabaseVersion`.
      const name = method === 'getDatabaseVersion' ? 'version' : method
      if (name === 'free' || typeof engine[name] !== 'function') {
        return send({ id, error: { code: -32601, message: `Method not found: ${method}` } })
      }
      // In the wasm engine these two have no shadow database of their own: they only work off a
      // migrations schema cached by diagnoseMigrationHistory, which caches *applied* migrations.
      // So `migrate dev` failed right after applying pending ones; refresh the cache first.
      if (method === 'createMigration' || method === 'evaluateDataLoss') {
        const { migrationsList, filters } = params
        await engine.diagnoseMigrationHistory({ migrationsList, filters, optInToShadowDatabase: true })
      }
      const result = (await engine[name](params)) ?? {}
      // The binary prints diff output by asking the CLI to `print` it; the wasm returns it.
      if (method === 'diff' && result.stdout) {
        send({ id: `print-${++printId}`, method: 'print', params: { content: result.stdout.replace(/\n$/, '') } })
        delete result.stdout
      }
      send({ id, result })
    } catch (error) {
      send({ id, error: toRpcError(error, adapter.errorRegistry) })
    }
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
  lines.on('line', (line) => {
    const message = JSON.parse(line)
    // Requests only; lines without a method are the CLI's replies to our `print` requests.
    if (message.method) queue = queue.then(() => handle(message))
  })
  // Closing stdin is how the CLI stops the engine; open pools would otherwise keep us alive.
  lines.on('close', () => queue.then(() => process.exit(0)))
}

// One-shot `cli <command>` mode, used by `migrate dev` & co. to create a missing database.
async function runCli(command, { url }) {
  const { config } = pgConfig(url)
  const where = `${config.host ?? 'localhost'}:${config.port ?? 5432}`
  const query = async (database, sql) => {
    const client = new pg.Client({ ...config, database })
    try {
      await client.connect()
      if (sql) await client.query(sql)
    } finally {
      await client.end().catch(() => {})
    }
  }
  try {
    if (command === 'can-connect-to-database') await query(config.database)
    else if (command === 'create-database') await query('postgres', `CREATE DATABASE "${config.database}"`)
    else if (command === 'drop-database') await query('postgres', `DROP DATABASE IF EXISTS "${config.database}"`)
    else throw new Error(`Unknown cli command: ${command}`)
  } catch (error) {
    const unreachable = ['P1001', `Can't reach database server at \`${where}\``]
    const [errorCode, message] = {
      '3D000': ['P1003', `Database \`${config.database}\` does not exist on the database server at \`${where}\`.`],
      '28P01': ['P1000', `Authentication failed against database server at \`${where}\`.`],
      ECONNREFUSED: unreachable,
      ENOTFOUND: unreachable,
    }[error.code] ?? [undefined, error.message]
    log('ERROR', message, { error_code: errorCode })
    process.exit(1)
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    datamodels: { type: 'string', multiple: true },
    datasource: { type: 'string' },
    'enabled-preview-features': { type: 'string' },
    'extension-types': { type: 'string' },
    version: { type: 'boolean', short: 'V' },
  },
})

if (values.version) {
  await loadWasm()
  process.stdout.write(`schema-engine-cli ${bindings.version()}\n`)
  process.exit(0)
}
// The CLI skips the first stderr line of a one-shot command before parsing the rest.
log('INFO', 'Starting schema engine (wasm)')
const datasource = values.datasource ? JSON.parse(values.datasource) : undefined
if (positionals[0] === 'cli') {
  await runCli(positionals[1], datasource ?? {})
} else {
  const datamodels = values.datamodels?.map((file) => [file, readFileSync(file, 'utf8')])
  await serve(datamodels, datasource)
}
