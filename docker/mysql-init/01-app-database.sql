-- The demo app database lives beside the gateway's store; a real deployment points
-- DSR_APP_DATABASE_URL at the company's own app database instead (read access is enough for now).
CREATE DATABASE IF NOT EXISTS dsr_app CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
GRANT ALL PRIVILEGES ON dsr_app.* TO 'dsr'@'%';
