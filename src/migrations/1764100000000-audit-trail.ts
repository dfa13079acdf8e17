import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

export class AuditTrail1764100000000 implements MigrationInterface {
  name = 'AuditTrail1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'seq', type: 'int', isPrimary: true },
          { name: 'at', type: 'varchar', length: '24' },
          { name: 'actor', type: 'varchar', length: '64' },
          { name: 'action', type: 'varchar', length: '64' },
          { name: 'request_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'subject_ref', type: 'varchar', length: '64', isNullable: true },
          { name: 'prev_hash', type: 'varchar', length: '64' },
          { name: 'hash', type: 'varchar', length: '64' },
        ],
      }),
    );
    await q.createIndex('audit_events', new TableIndex({ name: 'ix_audit_events_request', columnNames: ['request_id'] }));
    await q.createIndex('audit_events', new TableIndex({ name: 'ix_audit_events_subject', columnNames: ['subject_ref'] }));
    await q.createTable(
      new Table({
        name: 'audit_chain_head',
        columns: [
          { name: 'id', type: 'int', isPrimary: true },
          { name: 'last_seq', type: 'int' },
          { name: 'last_hash', type: 'varchar', length: '64' },
        ],
      }),
    );
    await q.query(`INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 0, '${'0'.repeat(64)}')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_chain_head');
    await q.dropTable('audit_events');
  }
}
