-- Where a device registered from, so a restarted node can keep talking to it and judge its
-- liveness without a false offline/online flap.
ALTER TABLE devices ADD COLUMN sip_transport TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN registered_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN gb_version TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN charset TEXT NOT NULL DEFAULT '';
CREATE INDEX devices_registered ON devices(protocol, registered_until);
