-- Cloud recordings (issue 5): one row per closed fMP4 segment in the file store.
CREATE TABLE recordings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    appid       TEXT NOT NULL,
    device_id   INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    device_sn   TEXT NOT NULL,
    target      TEXT NOT NULL,
    start_ms    INTEGER NOT NULL,
    end_ms      INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    file_key    TEXT NOT NULL UNIQUE,
    rec_type    INTEGER NOT NULL DEFAULT 1,
    alarm_type  INTEGER NOT NULL DEFAULT 0,
    thawed_to   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX recordings_target_time ON recordings (target, start_ms);
CREATE INDEX recordings_end ON recordings (end_ms);

-- Alarms that mark the recordings around them as alarm recordings (recordType 2).
CREATE TABLE recording_alarms (
    target      TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    alarm_type  INTEGER NOT NULL
);
CREATE INDEX recording_alarms_target ON recording_alarms (target, at_ms);

-- Clip tasks (4.8): durable; a node runs the pending ones at start.
CREATE TABLE clip_tasks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    appid       TEXT NOT NULL,
    device_id   INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    device_sn   TEXT NOT NULL,
    target      TEXT NOT NULL,
    start_ms    INTEGER NOT NULL,
    end_ms      INTEGER NOT NULL,
    storage     TEXT NOT NULL,
    status      INTEGER NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    file_key    TEXT NOT NULL DEFAULT '',
    thumb_key   TEXT NOT NULL DEFAULT '',
    file_start  INTEGER NOT NULL DEFAULT 0,
    file_end    INTEGER NOT NULL DEFAULT 0,
    size        INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL
);
