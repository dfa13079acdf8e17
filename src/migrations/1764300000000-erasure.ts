import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

export class Erasure1764300000000 implements MigrationInterface {
  name = 'Erasure1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('dsr_requests', [
      new TableColumn({ name: 'changes_json', type: 'text', isNullable: true }),
      new TableColumn({ name: 'lift_restriction', type: 'smallint', default: 0 }),
      new TableColumn({ name: 'rejected_by', type: 'varchar', length: '64', isNullable: true }),
    ]);
    await q.createTable(
      new Table({
        name: 'subject_tombstones',
        columns: [
          { name: 'identifier_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'request_id', type: 'varchar', length: '36' },
          { name: 'erased_at', type: 'varchar', length: '24' },
        ],
      }),
    );
    await q.createIndex('subject_tombstones', new TableIndex({ name: 'ix_subject_tombstones_request', columnNames: ['request_id'] }));
    await q.createTable(
      new Table({
        name: 'request_identifiers',
        columns: [
          { name: 'identifier_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'request_id', type: 'varchar', length: '36', isPrimary: true },
        ],
      }),
    );
    await q.createIndex('request_identifiers', new TableIndex({ name: 'ix_request_identifiers_request', columnNames: ['request_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('request_identifiers');
    await q.dropTable('subject_tombstones');
    await q.dropColumn('dsr_requests', 'rejected_by');
    await q.dropColumn('dsr_requests', 'lift_restriction');
    await q.dropColumn('dsr_requests', 'changes_json');
  }
}
