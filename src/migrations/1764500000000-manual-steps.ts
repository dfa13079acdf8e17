import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/** Systems without an API: the deadline of a step waiting for a person, and the files operators upload. */
export class ManualSteps1764500000000 implements MigrationInterface {
  name = 'ManualSteps1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('dsr_tasks', new TableColumn({ name: 'due_at', type: 'varchar', length: '24', isNullable: true }));
    await q.createIndex('dsr_tasks', new TableIndex({ name: 'ix_dsr_tasks_waiting', columnNames: ['status', 'due_at'] }));
    await q.createTable(
      new Table({
        name: 'manual_uploads',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'request_id', type: 'varchar', length: '36' },
          { name: 'system', type: 'varchar', length: '32' },
          { name: 'entry', type: 'varchar', length: '100' },
          { name: 'original_name', type: 'varchar', length: '200' },
          { name: 'content_type', type: 'varchar', length: '100' },
          { name: 'size_bytes', type: 'bigint' },
          { name: 'sha256', type: 'varchar', length: '64' },
          { name: 'uploaded_by', type: 'varchar', length: '64' },
          { name: 'uploaded_at', type: 'varchar', length: '24' },
        ],
      }),
    );
    await q.createIndex('manual_uploads', new TableIndex({ name: 'ux_manual_uploads_entry', columnNames: ['request_id', 'entry'], isUnique: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('manual_uploads');
    await q.dropIndex('dsr_tasks', 'ix_dsr_tasks_waiting');
    await q.dropColumn('dsr_tasks', 'due_at');
  }
}
