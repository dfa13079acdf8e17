import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

const ts = (name: string, nullable = false) => ({ name, type: 'varchar', length: '24', isNullable: nullable });

export class Requests1764200000000 implements MigrationInterface {
  name = 'Requests1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'dsr_requests',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'type', type: 'varchar', length: '20' },
          { name: 'status', type: 'varchar', length: '24' },
          { name: 'subject_json', type: 'text' },
          { name: 'subject_ref', type: 'varchar', length: '64' },
          { name: 'verification', type: 'varchar', length: '500' },
          { name: 'note', type: 'varchar', length: '2000', isNullable: true },
          ts('received_at'),
          ts('due_at'),
          { name: 'extension_reason', type: 'varchar', length: '1000', isNullable: true },
          { name: 'submitted_by', type: 'varchar', length: '64' },
          { name: 'approved_by', type: 'varchar', length: '64', isNullable: true },
          ts('completed_at', true),
          { name: 'closed_reason', type: 'varchar', length: '1000', isNullable: true },
          { name: 'idempotency_key', type: 'varchar', length: '200', isNullable: true },
          ts('created_at'),
          { name: 'export_file', type: 'varchar', length: '200', isNullable: true },
          { name: 'export_size', type: 'bigint', isNullable: true },
          { name: 'export_sha256', type: 'varchar', length: '64', isNullable: true },
          ts('export_created_at', true),
          ts('export_expires_at', true),
          { name: 'export_entries', type: 'text', isNullable: true },
        ],
      }),
    );
    await q.createIndex('dsr_requests', new TableIndex({ name: 'ix_dsr_requests_status', columnNames: ['status'] }));
    await q.createIndex('dsr_requests', new TableIndex({ name: 'ix_dsr_requests_subject_ref', columnNames: ['subject_ref'] }));
    await q.createIndex('dsr_requests', new TableIndex({ name: 'ix_dsr_requests_received', columnNames: ['received_at'] }));
    await q.createIndex('dsr_requests', new TableIndex({ name: 'ix_dsr_requests_due', columnNames: ['due_at'] }));
    await q.createIndex('dsr_requests', new TableIndex({ name: 'ux_dsr_requests_idempotency', columnNames: ['submitted_by', 'idempotency_key'], isUnique: true }));

    await q.createTable(
      new Table({
        name: 'dsr_tasks',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'request_id', type: 'varchar', length: '36' },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'system', type: 'varchar', length: '32' },
          { name: 'status', type: 'varchar', length: '24' },
          { name: 'state', type: 'varchar', length: '12' },
          ts('run_after'),
          { name: 'attempts', type: 'int', default: 0 },
          { name: 'max_attempts', type: 'int' },
          { name: 'lease_owner', type: 'varchar', length: '64', isNullable: true },
          ts('lease_expires_at', true),
          { name: 'last_error', type: 'varchar', length: '500', isNullable: true },
          ts('started_at', true),
          ts('finished_at', true),
          { name: 'records_exported', type: 'int', isNullable: true },
          { name: 'note', type: 'varchar', length: '1000', isNullable: true },
          { name: 'result_json', type: 'text', isNullable: true },
        ],
      }),
    );
    await q.createIndex('dsr_tasks', new TableIndex({ name: 'ux_dsr_tasks_request_system', columnNames: ['request_id', 'kind', 'system'], isUnique: true }));
    await q.createIndex('dsr_tasks', new TableIndex({ name: 'ix_dsr_tasks_claim', columnNames: ['state', 'run_after'] }));

    await q.createTable(
      new Table({
        name: 'download_links',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'request_id', type: 'varchar', length: '36' },
          { name: 'created_by', type: 'varchar', length: '64' },
          ts('created_at'),
          ts('expires_at'),
        ],
      }),
    );
    await q.createIndex('download_links', new TableIndex({ name: 'ux_download_links_token', columnNames: ['token_hash'], isUnique: true }));
    await q.createIndex('download_links', new TableIndex({ name: 'ix_download_links_request', columnNames: ['request_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('download_links');
    await q.dropTable('dsr_tasks');
    await q.dropTable('dsr_requests');
  }
}
