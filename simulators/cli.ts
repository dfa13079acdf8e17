/**
 * Runs the simulators as their own process (`npm run simulators`):
 *
 *   DSR_DATA_DIR=./.data DSR_DEMO_USERS=3000 \
 *   DSR_SIM_SENDGRID_PORT=4101 DSR_SIM_LIMEGO_PORT=4102 DSR_SIM_HOGIA_PORT=4103 \
 *   DSR_SIM_SENDGRID_RATE_LIMIT=600/60 node dist/simulators/cli.js
 *
 * Ports default to 0 (ephemeral); rate limits are LIMIT/SECONDS (DSR_SIM_<ID>_RATE_LIMIT,
 * DSR_SIM_SENDGRID_ERASEJOB_RATE_LIMIT). Prints each base URL on its own line, writes
 * $DSR_DATA_DIR/demo-credentials.json, and stops on Ctrl-C (SIGINT) or SIGTERM.
 */
import { parseRateLimit } from './common/rate-limit';
import { SIMULATOR_IDS, startSimulators, writeDemoCredentials, type SimulatorId } from './index';

function port(env: NodeJS.ProcessEnv, id: SimulatorId): number {
  const name = `DSR_SIM_${id.toUpperCase()}_PORT`;
  const text = env[name];
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new Error(`${name} must be a port number (0-65535)`);
  return Number(text);
}

async function main(): Promise<void> {
  const env = process.env;
  const dataDir = env.DSR_DATA_DIR || './.data';
  const usersText = env.DSR_DEMO_USERS ?? '3000';
  if (!/^\d+$/.test(usersText) || Number(usersText) < 7) throw new Error('DSR_DEMO_USERS must be an integer of at least 7');
  const sims = await startSimulators({
    dataDir,
    users: Number(usersText),
    ports: Object.fromEntries(SIMULATOR_IDS.map((id) => [id, port(env, id)])),
    rateLimits: {
      sendgrid: parseRateLimit(env.DSR_SIM_SENDGRID_RATE_LIMIT),
      sendgridErasejob: parseRateLimit(env.DSR_SIM_SENDGRID_ERASEJOB_RATE_LIMIT),
      limego: parseRateLimit(env.DSR_SIM_LIMEGO_RATE_LIMIT),
      hogia: parseRateLimit(env.DSR_SIM_HOGIA_RATE_LIMIT),
      linkedin: parseRateLimit(env.DSR_SIM_LINKEDIN_RATE_LIMIT),
      googleads: parseRateLimit(env.DSR_SIM_GOOGLEADS_RATE_LIMIT),
      zoom: parseRateLimit(env.DSR_SIM_ZOOM_RATE_LIMIT),
    },
  });
  const file = writeDemoCredentials(dataDir, sims.credentials());
  for (const id of SIMULATOR_IDS) process.stdout.write(`${id}: ${sims[id].baseUrl}\n`);
  process.stdout.write(`credentials: ${file}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping the simulators\n`);
    sims.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`simulators failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
