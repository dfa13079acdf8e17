import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, type ConnectorSettings } from '../../src/config';
import { ConnectorRegistry } from '../../src/connectors/registry';
import { defaultManualSystems, DEMO_MANUAL_SYSTEMS } from '../../src/connectors/manual/manual.demo';
import { ManualConnector, manualConnectorFactory } from '../../src/connectors/manual/manual.connector';
import { createLogger } from '../../src/logger';

const logger = createLogger('silent');
const dir = mkdtempSync(path.join(os.tmpdir(), 'dsr-manual-'));

/** A valid manual system; each test breaks one field. */
const valid = (): Record<string, unknown> => ({
  kind: 'manual',
  enabled: true,
  name: 'Hogia lön',
  owner: 'Payroll administrator (HR)',
  location: 'EU (Sweden)',
  instructions: { ACCESS: 'Export the personnel card as PDF and upload it.', ERASURE: 'Delete what the law does not keep.' },
  datasets: [
    {
      name: 'salary_payments',
      description: 'Pay slips',
      purposes: ['Pay salaries'],
      legalBasis: 'LEGAL_OBLIGATION',
      retention: '7 years (bokföringslagen 7 kap. 2 §)',
      fields: [{ name: 'grossSalary', category: 'financial.salary', provenance: 'DERIVED' }],
    },
  ],
});

const create = (settings: Record<string, unknown>, id = 'hogia-lon') => manualConnectorFactory.create(id, settings as ConnectorSettings, { config: loadConfig({ DSR_DATA_DIR: dir }), logger }) as ManualConnector;

function errorOf(settings: Record<string, unknown>): string {
  try {
    create(settings);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('manual connector settings', () => {
  it('builds the data map and capabilities from the settings, with default days', () => {
    const c = create(valid());
    expect(c.system).toEqual({
      name: 'Hogia lön',
      location: 'EU (Sweden)',
      capabilities: ['ACCESS', 'ERASURE', 'MANUAL_STEPS'],
      datasets: (valid().datasets as unknown[]).map((d) => expect.objectContaining(d as object)),
    });
    expect(c.manualSteps).toEqual({ owner: 'Payroll administrator (HR)', dueDays: 7, readable: false });
    expect(c.accepts).toEqual(['email', 'phone', 'appUserId', 'customerNumber', 'crmPersonId']);
  });

  it('gives each request type its instructions with the owner; PORTABILITY falls back to ACCESS; others have none', () => {
    const c = create({ ...valid(), dueDays: 3, processor: 'Hogia Business Products AB', transferSafeguard: 'none needed' });
    expect(c.manualSteps.dueDays).toBe(3);
    expect(c.system.processor).toBe('Hogia Business Products AB');
    expect(c.manualInstructions('ACCESS')).toBe('Payroll administrator (HR): Export the personnel card as PDF and upload it.');
    expect(c.manualInstructions('PORTABILITY')).toBe(c.manualInstructions('ACCESS'));
    expect(c.manualInstructions('OBJECTION')).toBeUndefined();
    expect(c.manualInstructions('RECTIFICATION')).toBeUndefined();
    const objection = create({ ...valid(), instructions: { OBJECTION: 'Remove from the mailing list.', RESTRICTION: 'Mark restricted.' } });
    expect(objection.system.capabilities).toEqual(['RESTRICTION', 'MARKETING_SUPPRESSION', 'MANUAL_STEPS']);
    expect(objection.manualInstructions('ACCESS')).toBeUndefined();
  });

  it('tells how to lift a restriction: as configured, or by undoing what imposing it did; never the imposing step itself', () => {
    const imposed = 'Add the note "Behandling begränsad" to the personnel card.';
    const derived = create({ ...valid(), instructions: { RESTRICTION: imposed } });
    expect(derived.manualInstructions('RESTRICTION')).toBe(`Payroll administrator (HR): ${imposed}`);
    const lift = derived.manualInstructions('RESTRICTION', { liftRestriction: true })!;
    expect(lift).toMatch(/^Payroll administrator \(HR\): Lift the restriction of processing \(Art\. 18\): undo what was done in Hogia lön when it was imposed/);
    expect(lift.endsWith(`When it was imposed the step was: ${imposed}`)).toBe(true);

    const configured = create({ ...valid(), instructions: { RESTRICTION: imposed, LIFT_RESTRICTION: 'Remove the note.' } });
    expect(configured.manualInstructions('RESTRICTION', { liftRestriction: true })).toBe('Payroll administrator (HR): Remove the note.');
    expect(configured.system.capabilities).toEqual(['RESTRICTION', 'MANUAL_STEPS']);
    expect(create(valid()).manualInstructions('RESTRICTION', { liftRestriction: true })).toBeUndefined();
    // every demo system says how to lift what it restricts
    for (const [id, settings] of Object.entries(DEMO_MANUAL_SYSTEMS)) {
      const demo = create(settings as unknown as Record<string, unknown>, id);
      expect(demo.manualInstructions('RESTRICTION', { liftRestriction: true })).not.toMatch(/Lift the restriction of processing/);
      expect(demo.manualInstructions('RESTRICTION', { liftRestriction: true })).not.toBe(demo.manualInstructions('RESTRICTION'));
    }
  });

  it('holds nothing the gateway can read, and says a person must look', async () => {
    const c = create(valid());
    const [a, b] = await c.collect([{ email: ['a@x.se'] }, { phone: ['+46701234567'] }]);
    for (const s of [a!, b!]) {
      expect(s).toMatchObject({ found: false, restricted: false, datasets: [{ name: 'salary_payments', records: [] }] });
      expect(s.note).toBe('Hogia lön has no API: the gateway cannot see what it holds. A person (Payroll administrator (HR)) must look; an access request creates that task.');
    }
    expect(await c.planErasure()).toEqual([{ dataset: '*', action: 'MANUAL', records: 0, note: expect.stringContaining('Payroll administrator (HR): Delete what the law does not keep.') }]);
    expect(await create({ ...valid(), instructions: { ACCESS: 'Look.' } }).planErasure()).toEqual([]);
  });

  it.each([
    [{ name: undefined }, 'connectors.hogia-lon.name: expected the system name (text)'],
    [{ owner: '  ' }, 'connectors.hogia-lon.owner: expected the role or team'],
    [{ location: 42 }, 'connectors.hogia-lon.location: expected where the data is processed'],
    [{ dueDays: 0 }, 'connectors.hogia-lon.dueDays: expected a whole number of days from 1 to 30'],
    [{ dueDays: 2.5 }, 'connectors.hogia-lon.dueDays: expected a whole number of days from 1 to 30'],
    [{ instructions: {} }, 'connectors.hogia-lon.instructions: expected instructions for at least one request type'],
    [{ instructions: { DELETE: 'x' } }, 'connectors.hogia-lon.instructions: Unrecognized key: "DELETE"'],
    [{ instructions: { ACCESS: '' } }, 'connectors.hogia-lon.instructions.ACCESS: expected the ACCESS instructions (1-4000 characters)'],
    [{ datasets: [] }, 'connectors.hogia-lon.datasets: expected at least one dataset'],
    [{ owners: 'HR' }, 'connectors.hogia-lon.settings: Unrecognized key: "owners"'],
  ])('refuses %j with a clear error', (change, message) => {
    expect(errorOf({ ...valid(), ...change })).toContain(message);
  });

  it.each([
    [{ name: 'Salary Payments' }, 'connectors.hogia-lon.datasets.0.name: expected a dataset name of lowercase letters'],
    [{ name: 'upload-1' }, 'connectors.hogia-lon.datasets.0.name: dataset names starting with "upload-" are kept for uploaded files'],
    [{ legalBasis: 'LAW' }, 'connectors.hogia-lon.datasets.0.legalBasis: expected CONSENT, CONTRACT, LEGAL_OBLIGATION or LEGITIMATE_INTEREST'],
    [{ purposes: [] }, 'connectors.hogia-lon.datasets.0.purposes: expected at least one purpose'],
    [{ fields: [{ name: 'x', category: 'Financial Salary', provenance: 'DERIVED' }] }, 'connectors.hogia-lon.datasets.0.fields.0.category: expected a category'],
    [{ fields: [{ name: 'x', category: 'financial.salary', provenance: 'GUESSED' }] }, 'connectors.hogia-lon.datasets.0.fields.0.provenance: expected PROVIDED, OBSERVED or DERIVED'],
  ])('refuses the dataset change %j with a clear error', (change, message) => {
    const settings = valid();
    settings.datasets = [{ ...(settings.datasets as object[])[0], ...change }];
    expect(errorOf(settings)).toContain(message);
  });

  it('refuses two datasets with one name', () => {
    const settings = valid();
    settings.datasets = [(settings.datasets as object[])[0], (settings.datasets as object[])[0]];
    expect(errorOf(settings)).toContain('connectors.hogia-lon.datasets: dataset names must be unique');
  });

  it('is configured in DSR_CONFIG_FILE with kind "manual", and the demo adds its three systems only without a file or operators of its own', () => {
    const file = path.join(dir, 'connectors.json');
    writeFileSync(file, JSON.stringify({ connectors: { payroll: valid() } }));
    const config = loadConfig({ DSR_DATA_DIR: dir, DSR_CONFIG_FILE: file, DSR_APP_DATABASE_URL: `sqlite:${path.join(dir, 'app.sqlite')}` });
    const registry = ConnectorRegistry.fromConfig(config, logger);
    expect(registry.get('payroll')).toBeInstanceOf(ManualConnector);
    expect(defaultManualSystems(config)).toEqual({});
    expect(defaultManualSystems({ ...loadConfig({ DSR_DATA_DIR: dir, NODE_ENV: 'test' }), env: 'production' })).toEqual({});
    expect(defaultManualSystems(loadConfig({ DSR_DATA_DIR: dir, DSR_OPERATORS: 'ann:OPERATOR:t1' }))).toEqual({});
    const demo = defaultManualSystems(loadConfig({ DSR_DATA_DIR: dir }));
    expect(Object.keys(demo)).toEqual(['hogia-lon', 'office365', 'teams']);
    // the demo's own settings are valid
    for (const [id, settings] of Object.entries(DEMO_MANUAL_SYSTEMS)) {
      const c = create(settings, id);
      expect(c.system.capabilities).toContain('MANUAL_STEPS');
      expect(c.manualInstructions('ACCESS')).toBeTruthy();
      expect(c.manualInstructions('OBJECTION')).toBeUndefined();
    }
    writeFileSync(file, JSON.stringify({ connectors: { payroll: { ...valid(), legalBasis: 'x', datasets: 'none' } } }));
    const broken = loadConfig({ DSR_DATA_DIR: dir, DSR_CONFIG_FILE: file });
    expect(() => ConnectorRegistry.fromConfig(broken, logger)).toThrow(ConfigError);
  });
});
