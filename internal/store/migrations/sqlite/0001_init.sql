CREATE TABLE tenants (
    appid       TEXT PRIMARY KEY,
    secret_key  TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE devices (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    appid         TEXT NOT NULL REFERENCES tenants(appid) ON DELETE CASCADE,
    device_sn     TEXT NOT NULL UNIQUE,
    protocol      INTEGER NOT NULL,
    device_name   TEXT NOT NULL,
    device_type   INTEGER NOT NULL DEFAULT 0,
    channel_count INTEGER NOT NULL DEFAULT 0,
    login_name    TEXT NOT NULL DEFAULT '',
    login_pwd     TEXT NOT NULL DEFAULT '',
    device_token  TEXT NOT NULL DEFAULT '',
    is_intranet   INTEGER NOT NULL DEFAULT 0,
    supports_v6   INTEGER NOT NULL DEFAULT 0,
    platform_id   TEXT NOT NULL DEFAULT '',
    mac           TEXT NOT NULL DEFAULT '',
    online_status INTEGER NOT NULL DEFAULT 0,
    remote_ip     TEXT NOT NULL DEFAULT '',
    remote_port   TEXT NOT NULL DEFAULT '',
    manufacturer  TEXT NOT NULL DEFAULT '',
    model         TEXT NOT NULL DEFAULT '',
    firmware      TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX devices_appid_id ON devices(appid, id);

CREATE TABLE channels (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id     INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    channel_sn    TEXT UNIQUE,
    channel_no    INTEGER NOT NULL DEFAULT 0,
    channel_name  TEXT NOT NULL,
    online_status INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX channels_device ON channels(device_id, id);

CREATE TABLE subscriptions (
    appid      TEXT NOT NULL REFERENCES tenants(appid) ON DELETE CASCADE,
    msg_type   INTEGER NOT NULL,
    url        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (appid, msg_type)
);

-- push_outbox: one row per (event, subscription). Rows are written in the transaction of the
-- change that caused the event; status 0 pending, 2 dead. Delivered rows are deleted.
CREATE TABLE push_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    appid           TEXT NOT NULL,
    url             TEXT NOT NULL,
    msg_type        INTEGER NOT NULL,
    body            BLOB NOT NULL,
    status          INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX push_outbox_due ON push_outbox(status, next_attempt_at);
