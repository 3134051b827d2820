-- Pictures vionet captured from cameras (4.4.1.12–14); the JPEG is in the file store under file_key.
CREATE TABLE snapshots (
    id          BIGSERIAL PRIMARY KEY,
    picture_id  TEXT NOT NULL UNIQUE,
    appid       TEXT NOT NULL,
    device_id   BIGINT  NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    device_sn   TEXT NOT NULL,
    target      TEXT NOT NULL,
    channel_id  BIGINT  NOT NULL DEFAULT 0,
    snap_type   BIGINT  NOT NULL,
    snap_time   BIGINT  NOT NULL,
    size        BIGINT  NOT NULL,
    file_key    TEXT NOT NULL
);
CREATE INDEX snapshots_device_time ON snapshots (device_id, snap_time);
