-- PTZ state vionet keeps per head (an IPC, or one channel of an NVR; target is its code):
-- the 4.5.2.17 decoder address and direction, the 4.5.2.14 guard position, and the 4.5.2.7
-- cruise routes with their 4.5.2.10 weekly schedules (JSON, empty when none).
CREATE TABLE ptz_heads (
    device_id       INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    target          TEXT NOT NULL,
    decoder_address INTEGER NOT NULL DEFAULT 0,
    invert          INTEGER NOT NULL DEFAULT 0,
    guard_preset    INTEGER NOT NULL DEFAULT 0,
    guard_interval  INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (device_id, target)
);

CREATE TABLE ptz_cruises (
    device_id   INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    target      TEXT NOT NULL,
    cruise_code INTEGER NOT NULL,
    speed       INTEGER NOT NULL,
    stay_time   INTEGER NOT NULL,
    points      TEXT NOT NULL,
    schedule    TEXT NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (device_id, target, cruise_code)
);
