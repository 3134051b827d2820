-- Services opened on cameras (4.6.1.1): one row per camera (target is the camera's code: the
-- device itself or one of its channels) and service type. closed_at is 0 while the service is
-- open; a closed service keeps its row (and last attributes) until it is reopened or the
-- camera goes. channel_id ties a channel's services to the channel, so deleting the channel
-- (or the device) drops them. Attributes of appendix 5.1 are columns, 0 when not given.
CREATE TABLE device_services (
    device_id      BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    target         TEXT NOT NULL,
    type           BIGINT NOT NULL,
    channel_id     BIGINT REFERENCES channels(id) ON DELETE CASCADE,
    appid          TEXT NOT NULL,
    package_type   BIGINT NOT NULL DEFAULT 1,
    days           BIGINT NOT NULL DEFAULT 0,
    frame_interval BIGINT NOT NULL DEFAULT 0,
    bitrate_cap    BIGINT NOT NULL DEFAULT 0,
    opened_at      BIGINT NOT NULL,
    closed_at      BIGINT NOT NULL DEFAULT 0,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (device_id, target, type)
);
CREATE INDEX device_services_appid_type ON device_services (appid, type, closed_at);
CREATE INDEX device_services_channel ON device_services (channel_id);

-- What each tenant bought (4.6.1.4), granted by the operator (`vionet order grant`): total
-- cameras that may have a service type open at once. Used counts are computed from
-- device_services.
CREATE TABLE service_orders (
    appid      TEXT NOT NULL REFERENCES tenants(appid) ON DELETE CASCADE,
    type       BIGINT NOT NULL,
    total      BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (appid, type)
);
