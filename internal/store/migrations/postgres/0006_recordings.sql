-- Cloud recordings (issue 5): one row per closed fMP4 segment in the file store.
CREATE TABLE recordings (
    id          BIGSERIAL PRIMARY KEY,
    appid       TEXT NOT NULL,
    device_id   BIGINT  NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    device_sn   TEXT NOT NULL,
    target      TEXT NOT NULL,
    start_ms    BIGINT  NOT NULL,
    end_ms      BIGINT  NOT NULL,
    size        BIGINT  NOT NULL,
    file_key    TEXT NOT NULL UNIQUE,
    rec_type    BIGINT  NOT NULL DEFAULT 1,
    alarm_type  BIGINT  NOT NULL DEFAULT 0,
    thawed_to   BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX recordings_target_time ON recordings (target, start_ms);
CREATE INDEX recordings_end ON recordings (end_ms);

-- Alarms that mark the recordings around them as alarm recordings (recordType 2).
CREATE TABLE recording_alarms (
    target      TEXT NOT NULL,
    at_ms       BIGINT  NOT NULL,
    alarm_type  BIGINT  NOT NULL
);
CREATE INDEX recording_alarms_target ON recording_alarms (target, at_ms);

-- Clip tasks (4.8): durable; a node runs the pending ones at start.
CREATE TABLE clip_tasks (
    id          BIGSERIAL PRIMARY KEY,
    appid       TEXT NOT NULL,
    device_id   BIGINT  NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    device_sn   TEXT NOT NULL,
    target      TEXT NOT NULL,
    start_ms    BIGINT  NOT NULL,
    end_ms      BIGINT  NOT NULL,
    storage     TEXT NOT NULL,
    status      BIGINT  NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    file_key    TEXT NOT NULL DEFAULT '',
    thumb_key   TEXT NOT NULL DEFAULT '',
    file_start  BIGINT  NOT NULL DEFAULT 0,
    file_end    BIGINT  NOT NULL DEFAULT 0,
    size        BIGINT  NOT NULL DEFAULT 0,
    created_ms  BIGINT  NOT NULL
);
