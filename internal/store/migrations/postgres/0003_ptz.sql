-- PTZ state vionet keeps per head (an IPC, or one channel of an NVR; target is its code):
-- the 4.5.2.17 decoder address and direction, the 4.5.2.14 guard position, and the 4.5.2.7
-- cruise routes with their 4.5.2.10 weekly schedules (JSON, empty when none).
CREATE TABLE ptz_heads (
    device_id       BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    target          TEXT NOT NULL,
    decoder_address BIGINT NOT NULL DEFAULT 0,
    invert          BIGINT NOT NULL DEFAULT 0,
    guard_preset    BIGINT NOT NULL DEFAULT 0,
    guard_interval  BIGINT NOT NULL DEFAULT 0,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (device_id, target)
);

CREATE TABLE ptz_cruises (
    device_id   BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    target      TEXT NOT NULL,
    cruise_code BIGINT NOT NULL,
    speed       BIGINT NOT NULL,
    stay_time   BIGINT NOT NULL,
    points      TEXT NOT NULL,
    schedule    TEXT NOT NULL DEFAULT '',
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (device_id, target, cruise_code)
);
