import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, parseOperators } from '../src/config';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dsr-config-'));
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('configuration', () => {
  it('has embedded defaults', () => {
    const c = loadConfig({ DSR_DATA_DIR: dir });
    expect(c).toMatchObject({ host: '127.0.0.1', port: 4000, dataDir: dir, connectorDeadlineMs: 5000, operators: undefined });
    expect(c.store).toEqual({ kind: 'sqlite', path: path.join(dir, 'gateway.sqlite') });
    expect(c.demo.appDatabase).toEqual({ kind: 'sqlite', path: path.join(dir, 'app.sqlite') });
    expect(Object.keys(c.connectors)).toEqual(['app']);
  });

  it('reads the contract settings', () => {
    const c = loadConfig({ DSR_PORT: '4100', DSR_OPERATORS: 'ann:OPERATOR:t1,bo:APPROVER+AUDITOR:t:2', DSR_DATABASE_URL: 'mysql://u:p@db:3306/dsr' });
    expect(c.port).toBe(4100);
    expect(c.operators).toEqual([
      { name: 'ann', roles: ['OPERATOR'], token: 't1' },
      { name: 'bo', roles: ['APPROVER', 'AUDITOR'], token: 't:2' },
    ]);
    expect(c.store).toEqual({ kind: 'mysql', url: 'mysql://u:p@db:3306/dsr' });
  });

  it.each([
    [{ DSR_PORT: 'abc' }, /^DSR_PORT must be an integer from 0 to 65535 \(got "abc"\)$/],
    [{ DSR_PORT: '70000' }, /^DSR_PORT must be an integer/],
    [{ DSR_CONNECTOR_DEADLINE_MS: '5' }, /^DSR_CONNECTOR_DEADLINE_MS must be an integer from 50/],
    [{ DSR_DATABASE_URL: 'postgres://x' }, /^DSR_DATABASE_URL: expected mysql:\/\//],
    [{ DSR_LOG_LEVEL: 'loud' }, /^DSR_LOG_LEVEL must be/],
    [{ NODE_ENV: 'staging' }, /^NODE_ENV must be development, production or test$/],
    [{ DSR_OPERATORS: 'ann' }, /^DSR_OPERATORS entry 1 must be name:ROLE\[\+ROLE\]:token$/],
    [{ DSR_OPERATORS: 'ann:ADMIN:secret-token' }, /role must be one of VIEWER, OPERATOR, APPROVER, AUDITOR$/],
    [{ DSR_OPERATORS: 'ann:OPERATOR:' }, /the token must be non-empty/],
    [{ DSR_OPERATORS: 'ann:OPERATOR:a,ann:VIEWER:b' }, /names must be unique/],
    [{ DSR_HMAC_KEY: 'short' }, /^DSR_HMAC_KEY must be at least 32 characters$/],
    [{ NODE_ENV: 'production', DSR_OPERATORS: `a:OPERATOR:${'t'.repeat(24)}`, DSR_DATABASE_URL: 'mysql://x@y/z', DSR_APP_DATABASE_URL: 'mysql://x@y/app' }, /^DSR_HMAC_KEY \(or DSR_HMAC_KEY_FILE\) is required when NODE_ENV=production/],
    [{ NODE_ENV: 'production', DSR_OPERATORS: 'ann:OPERATOR:t1', DSR_DATABASE_URL: 'mysql://x@y/z' }, /^DSR_OPERATORS: the token of "ann" must be at least 24 characters when NODE_ENV=production/],
    [{ NODE_ENV: 'production', DSR_OPERATORS: `a:OPERATOR:${'t'.repeat(24)}`, DSR_HMAC_KEY: 'k'.repeat(32), DSR_DATABASE_URL: 'mysql://x@y/z' }, /^DSR_APP_DATABASE_URL \(or connectors\.app\.databaseUrl\) is required when NODE_ENV=production/],
    [{ NODE_ENV: 'production', DSR_HMAC_KEY: 'k'.repeat(32), DSR_DATABASE_URL: 'mysql://x@y/z' }, /^DSR_OPERATORS \(or DSR_OPERATORS_FILE or DSR_OIDC_ISSUER\) is required when NODE_ENV=production/],
    [{ DSR_CONFIG_FILE: '/nonexistent/file.json' }, /^DSR_CONFIG_FILE: file not found/],
  ])('stops with one clear line: %j', (env, expected) => {
    const message = errorOf(env as Record<string, string>);
    expect(message).toMatch(expected);
    expect(message).not.toContain('\n');
  });

  it('never repeats a secret in an error', () => {
    expect(errorOf({ DSR_OPERATORS: 'ann:ADMIN:super-secret-token' })).not.toContain('super-secret-token');
    expect(errorOf({ DSR_HMAC_KEY: 'tiny-secret' })).not.toContain('tiny-secret');
  });

  it('reads the metrics scrape token inline or from a file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dsr-config-'));
    const file = path.join(dir, 'metrics-token');
    writeFileSync(file, 'scrape-token-from-file\n');
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ DSR_METRICS_TOKEN: 'inline-token' }).metricsToken).toBe('inline-token');
    expect(loadConfig({ DSR_METRICS_TOKEN_FILE: file }).metricsToken).toBe('scrape-token-from-file');
    expect(errorOf({ DSR_METRICS_TOKEN_FILE: path.join(dir, 'missing') })).toBe('DSR_METRICS_TOKEN_FILE: the file cannot be read');
  });

  it('validates the connector file', () => {
    expect(errorOf({ DSR_CONFIG_FILE: file('bad.json', '{nope') })).toMatch(/^DSR_CONFIG_FILE: not valid JSON/);
    expect(errorOf({ DSR_CONFIG_FILE: file('deadline.json', JSON.stringify({ connectors: { app: { deadlineMs: 'soon' } } })) })).toMatch(
      /^DSR_CONFIG_FILE: connectors\.app\.deadlineMs: /,
    );
    expect(errorOf({ DSR_CONFIG_FILE: file('url.json', JSON.stringify({ connectors: { app: { databaseUrl: 'oracle://x' } } })) })).toMatch(
      /^connectors\.app\.databaseUrl: expected mysql:\/\//,
    );
    expect(errorOf({ DSR_CONFIG_FILE: file('extra.json', JSON.stringify({ connectorz: {} })) })).toMatch(/^DSR_CONFIG_FILE: /);
    const ok = loadConfig({ DSR_CONFIG_FILE: file('ok.json', JSON.stringify({ connectors: { app: { deadlineMs: 800 }, legacy: { kind: 'app', databaseUrl: 'sqlite:/tmp/x.sqlite' } } })) });
    expect(ok.connectors.app).toMatchObject({ kind: 'app', enabled: true, deadlineMs: 800 });
    expect(ok.connectors.legacy).toMatchObject({ kind: 'app', databaseUrl: 'sqlite:/tmp/x.sqlite' });
  });

  it('parses operator lists leniently about spacing only', () => {
    expect(parseOperators(' a:VIEWER:x , b:AUDITOR:y ')).toHaveLength(2);
  });
});
