import 'reflect-metadata';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { CONNECTOR_FACTORIES } from './connectors/registry';
import { buildGatewaySchema, printGatewaySchema } from './schema';

/** `npm run schema` writes schema/schema.graphql; with --check it fails when the file is stale. */
async function main(): Promise<void> {
  const file = path.resolve(__dirname, '../../schema/schema.graphql');
  const sdl = printGatewaySchema(await buildGatewaySchema(CONNECTOR_FACTORIES));
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== sdl) {
      console.error('schema/schema.graphql is stale: run `npm run schema` and commit it');
      process.exit(1);
    }
    console.log('schema/schema.graphql is current');
    return;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, sdl);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
