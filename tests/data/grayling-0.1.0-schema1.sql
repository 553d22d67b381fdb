-- A database as grayling 0.1.0 (schema 1, before keys were kept) wrote it: the real daemon
-- greylisted 192.0.2.1 and 198.51.100.2, then passed 192.0.2.1 after its delay (sqlite3 .dump).
-- Keys: 192.0.2.0/alice@example.org/bob@example.net (passed, its client 192.0.2.1 counted once),
-- 198.51.100.0/carol@example.org/bob@example.net (pending).
PRAGMA user_version = 1;
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE triplets (
  id         INTEGER PRIMARY KEY,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  passed     INTEGER NOT NULL
);
INSERT INTO triplets VALUES(-425583467726565060,1796212105,1796212107,1);
INSERT INTO triplets VALUES(3586371092719672249,1796212105,1796212105,0);
CREATE TABLE clients (
  id        INTEGER PRIMARY KEY,
  count     INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
);
INSERT INTO clients VALUES(-1752886733985386095,1,1796212107);
CREATE INDEX triplets_expiry ON triplets (passed, last_seen);
CREATE INDEX clients_expiry ON clients (last_seen);
COMMIT;
