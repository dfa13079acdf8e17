import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { defaultManualSystems } from './connectors/manual/manual.demo';
import { prepareDemo, startDemoSystems, writeDemoSubjects } from './demo';
import { createGateway } from './gateway';
import { createLogger } from './logger';

/** start: config -> demo defaults -> store -> connectors -> server. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`dsr-gateway: invalid configuration: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  const demo = await prepareDemo(config, logger);
  const systems = await startDemoSystems(config);
  const manual = defaultManualSystems(config);
  config = { ...config, connectors: { ...config.connectors, ...systems.connectors, ...manual } };
  const gateway = await createGateway({ config, logger, operators: demo.operators, hmacKey: demo.hmacKey });
  const url = await gateway.listen();
  const samples = demo.demoData ? await writeDemoSubjects(config, gateway) : [];

  const out: string[] = [`GraphQL: ${url}/graphql`, `Health:  ${url}/healthz`, `Ready:   ${url}/readyz`];
  if (systems.simulators) {
    const creds = systems.simulators.credentials();
    out.push('', `Simulators (credentials in ${config.dataDir}/demo-credentials.json):`);
    for (const id of Object.keys(systems.connectors)) out.push(`  ${id.padEnd(8)} ${creds[id as keyof typeof creds].baseUrl}`);
  }
  if (Object.keys(manual).length) {
    out.push('', 'Systems without an API (tasks for a person; files: POST /requests/<id>/systems/<system>/files):');
    for (const [id, s] of Object.entries(manual)) out.push(`  ${id.padEnd(10)} ${String(s.name)}`);
  }
  if (demo.demoOperators) {
    out.push('', 'Demo operators (Authorization: Bearer <token>):');
    for (const o of demo.operators) out.push(`  ${o.name.padEnd(8)} ${o.roles.join('+').padEnd(10)} ${o.token}`);
  }
  if (samples.length) out.push('', `Sample subjects (${samples.length}) are in ${config.dataDir}/demo-subjects.json`);
  console.log(out.join('\n'));

  // log lines are written as they are logged (createLogger): nothing is left to flush at exit
  const exit = (code: number) => process.exit(code);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return exit(1);
    stopping = true;
    logger.info({ signal }, 'stopping');
    // a stop that hangs past its grace period (a stuck connection or pool) still ends the process
    setTimeout(() => {
      logger.error('stopping took too long');
      exit(1);
    }, config.http.shutdownGraceMs + 15_000).unref();
    gateway
      .close()
      .then(() => systems.simulators?.close())
      .then(
      () => {
        logger.info('stopped');
        exit(0);
      },
      (e: unknown) => {
        logger.error({ errorName: (e as Error)?.name }, 'stopping failed');
        exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    console.error(`dsr-gateway: invalid configuration: ${e.message}`);
  } else {
    console.error(`dsr-gateway: could not start: ${(e as Error)?.name ?? 'error'}: ${safeMessage(e)}`);
  }
  process.exit(1);
});

/** Start-up errors name what failed (a database that does not answer) without secrets. */
function safeMessage(e: unknown): string {
  const msg = (e as Error)?.message ?? String(e);
  return msg.replace(/\/\/[^@/\s]*@/g, '//<credentials>@').slice(0, 300);
}
