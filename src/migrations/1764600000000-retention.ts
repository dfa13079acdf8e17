import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/** Requests proposed by retention sweeps (origin, idempotency per subject and rule); counts in the audit trail. */
export class Retention1764600000000 implements MigrationInterface {
  name = 'Retention1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('dsr_requests', [
      new TableColumn({ name: 'origin', type: 'varchar', length: '16', default: "'OPERATOR'" }),
      new TableColumn({ name: 'retention_key', type: 'varchar', length: '64', isNullable: true }),
    ]);
    await q.createIndex('dsr_requests', new TableIndex({ name: 'ux_dsr_requests_retention_key', columnNames: ['retention_key'], isUnique: true }));
    await q.addColumn('audit_events', new TableColumn({ name: 'count', type: 'int', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('audit_events', 'count');
    await q.dropIndex('dsr_requests', 'ux_dsr_requests_retention_key');
    await q.dropColumn('dsr_requests', 'retention_key');
    await q.dropColumn('dsr_requests', 'origin');
  }
}
