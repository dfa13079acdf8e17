/**
 * The demo app database: an employee-engagement / e-learning app. The same DDL runs on SQLite
 * and MySQL/MariaDB; the only dialect difference is the binary collation of the normalised
 * email (MySQL's default collations would equate "a" and "ä", which is not exact matching).
 */
export type SqlDialect = 'sqlite' | 'mysql';

export function appSchemaStatements(dialect: SqlDialect): string[] {
  const bin = dialect === 'mysql' ? ' CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : '';
  const engine = dialect === 'mysql' ? ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4' : '';
  return [
    `CREATE TABLE organisations (
      id INT NOT NULL PRIMARY KEY,
      name VARCHAR(200) NOT NULL,
      org_number VARCHAR(20) NOT NULL,
      contract_start DATE NOT NULL,
      contract_end DATE NULL
    )${engine}`,
    `CREATE TABLE users (
      id INT NOT NULL PRIMARY KEY,
      organisation_id INT NOT NULL,
      first_name VARCHAR(100) NOT NULL,
      last_name VARCHAR(100) NOT NULL,
      email VARCHAR(254) NOT NULL,
      email_normalized VARCHAR(254)${bin} NOT NULL,
      phone VARCHAR(20) NULL,
      marketing_consent SMALLINT NOT NULL,
      processing_restricted SMALLINT NOT NULL DEFAULT 0,
      created_at DATETIME NOT NULL,
      last_login_at DATETIME NULL
    )${engine}`,
    `CREATE UNIQUE INDEX ux_users_email_normalized ON users (email_normalized)`,
    `CREATE INDEX ix_users_phone ON users (phone)`,
    // an employer's users in id order: retention sweeps page through them by (organisation, id)
    `CREATE INDEX ix_users_organisation ON users (organisation_id, id)`,
    `CREATE TABLE content_items (
      id INT NOT NULL PRIMARY KEY,
      kind VARCHAR(20) NOT NULL,
      title VARCHAR(200) NOT NULL
    )${engine}`,
    `CREATE TABLE view_events (
      id INT NOT NULL PRIMARY KEY,
      user_id INT NOT NULL,
      content_item_id INT NOT NULL,
      viewed_at DATETIME NOT NULL,
      duration_seconds INT NOT NULL,
      device VARCHAR(20) NOT NULL
    )${engine}`,
    `CREATE INDEX ix_view_events_user ON view_events (user_id, id)`,
    `CREATE TABLE courses (
      id INT NOT NULL PRIMARY KEY,
      title VARCHAR(200) NOT NULL,
      description VARCHAR(1000) NOT NULL
    )${engine}`,
    `CREATE TABLE enrolments (
      id INT NOT NULL PRIMARY KEY,
      user_id INT NOT NULL,
      course_id INT NOT NULL,
      enrolled_at DATETIME NOT NULL,
      progress_percent INT NOT NULL,
      completed_at DATETIME NULL,
      certificate_id VARCHAR(40) NULL
    )${engine}`,
    `CREATE INDEX ix_enrolments_user ON enrolments (user_id)`,
    `CREATE TABLE missions (
      id INT NOT NULL PRIMARY KEY,
      title VARCHAR(200) NOT NULL,
      prompt VARCHAR(1000) NOT NULL
    )${engine}`,
    `CREATE TABLE mission_assignments (
      id INT NOT NULL PRIMARY KEY,
      mission_id INT NOT NULL,
      user_id INT NOT NULL,
      assigned_at DATETIME NOT NULL,
      due_at DATETIME NULL,
      status VARCHAR(20) NOT NULL
    )${engine}`,
    `CREATE INDEX ix_mission_assignments_user ON mission_assignments (user_id)`,
    `CREATE TABLE answers (
      id INT NOT NULL PRIMARY KEY,
      assignment_id INT NOT NULL,
      user_id INT NOT NULL,
      answer_text VARCHAR(4000) NOT NULL,
      submitted_at DATETIME NOT NULL,
      score INT NULL
    )${engine}`,
    `CREATE INDEX ix_answers_user ON answers (user_id)`,
    `CREATE TABLE seed_info (
      k VARCHAR(50) NOT NULL PRIMARY KEY,
      v VARCHAR(4000) NOT NULL
    )${engine}`,
  ];
}
