import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

export class AudienceRemovals1764400000000 implements MigrationInterface {
  name = 'AudienceRemovals1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'audience_removals',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'request_id', type: 'varchar', length: '36' },
          { name: 'system', type: 'varchar', length: '32' },
          { name: 'audience', type: 'varchar', length: '128' },
          { name: 'email_hash', type: 'varchar', length: '64' },
          { name: 'removed_at', type: 'varchar', length: '24' },
          { name: 'job_ref', type: 'varchar', length: '255', isNullable: true },
          { name: 'job_state', type: 'varchar', length: '16' },
          { name: 'finished_at', type: 'varchar', length: '24', isNullable: true },
        ],
      }),
    );
    await q.createIndex('audience_removals', new TableIndex({ name: 'ix_audience_removals_request', columnNames: ['request_id'] }));
    await q.createIndex(
      'audience_removals',
      new TableIndex({ name: 'ux_audience_removals_target', columnNames: ['request_id', 'system', 'audience', 'email_hash'], isUnique: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audience_removals');
  }
}
