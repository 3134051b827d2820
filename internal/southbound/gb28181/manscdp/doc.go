// Package manscdp encodes and decodes MANSCDP, the XML bodies
// (Content-Type: Application/MANSCDP+xml) carried by GB/T 28181 SIP MESSAGE
// and NOTIFY requests. It is a pure codec: no I/O, no SIP, no package state.
//
// # Decoding
//
// [Decode] takes a body as it came off the wire, works out its charset,
// converts it to UTF-8, repairs the usual vendor sloppiness and returns a
// [Message] holding the root element name (Query, Control, Response or
// Notify), CmdType, SN and DeviceID plus the cleaned UTF-8 XML in
// Message.Raw. [Message.Into] unmarshals Raw into one of the typed structs
// of this package; [Message.Typed] picks the struct from the root and CmdType.
//
// Charset policy (Message.Charset records the outcome so answers can be
// encoded the same way with [Encode]):
//
//   - A UTF-8 byte order mark wins: the body is UTF-8.
//   - A declared GB2312, GBK or GB18030 (case-insensitive, plus the aliases
//     CP936, X-GBK, GB_2312-80, EUC-CN) is decoded with GB18030, a superset of
//     the other two. The declaration is trusted even when the bytes also
//     happen to be valid UTF-8 with non-ASCII text: a GB byte string can be
//     valid UTF-8 by accident, and guessing would make the same device decode
//     differently from one message to the next. For a device known to send
//     UTF-8 under a GB declaration, the caller keeps a per-device override
//     and uses [DecodeAs].
//   - A declared UTF-8 body that is not valid UTF-8, a body without a
//     declaration (or with an unknown one) that is not valid UTF-8, is
//     decoded as GB18030 and recorded as "GB2312", the label devices
//     understand best. Otherwise it is UTF-8.
//
// Leniency: leading BOM and whitespace, a missing declaration, comments,
// DOCTYPEs, trailing garbage after the root element, a bare '&' or an
// unknown entity (escaped as "&amp;" before parsing), control characters
// that XML forbids (dropped), unquoted attribute values, a root element in
// the wrong case (<query>, <RESPONSE>), CmdType/SN/DeviceID element names in
// the wrong case or repeated (the first wins), namespace prefixes, end tags
// that differ only in case or that close several elements at once, stray
// end tags, and numbers with surrounding whitespace. A body that
// breaks off before its root element closes is closed off where it stops
// and flagged with Message.Partial. Into additionally treats a numeric
// element or attribute whose text is not a number as zero instead of failing
// the whole message (WVP does the same with its NumericUtil checks). The
// only hard errors of Decode are [ErrNoRoot] and [ErrNoCmdType].
//
// # Encoding
//
// [Encode] marshals a typed struct with encoding/xml and prefixes the XML
// declaration for the requested charset; for GB charsets the bytes are
// GB18030-encoded (identical to GB2312/GBK for every character those
// contain). The New* builders fill CmdType and the usual defaults for the
// messages the platform sends.
//
// # Messages and editions
//
// GB/T 28181-2016 Appendix A (also in 2011 unless noted):
//
//   - Notify Keepalive ([KeepaliveNotify]), Notify Alarm ([AlarmNotify]),
//     Notify MediaStatus ([MediaStatusNotify]), Notify MobilePosition
//     ([MobilePositionNotify]), Notify Catalog ([CatalogNotify], the catalog
//     change notification of 2016 9.6 with Item Event ON/OFF/VLOST/DEFECT/
//     ADD/DEL/UPDATE).
//   - Query/Response Catalog ([CatalogQuery], [CatalogResponse]),
//     DeviceInfo, DeviceStatus, RecordInfo, PresetQuery.
//   - Control DeviceControl ([DeviceControl]: PTZCmd, TeleBoot, RecordCmd,
//     GuardCmd, AlarmCmd, IFameCmd, DragZoomIn/Out, HomePosition) and
//     DeviceConfig (BasicParam); Response DeviceControl, DeviceConfig and
//     Alarm ([ResultResponse]).
//   - DeviceInfo MaxCamera/MaxAlarm are 2011 fields still sent by NVRs.
//
// GB/T 28181-2022 additions: Catalog item SecurityLevelCode and the extended
// Info block; Query/Response PTZPosition ([PTZPositionQuery],
// [PTZPositionResponse]: Pan, Tilt, Zoom, HorizontalFieldAngle,
// VerticalFieldAngle, MaxViewDistance), HomePositionQuery,
// CruiseTrackListQuery and CruiseTrackQuery; DeviceControl PTZPreciseCtrl,
// PTZCmdParams, IFrameCmd (the 2022 spelling of IFameCmd) and the
// StreamNumber of RecordCmd. Element names of the 2022 queries follow the
// standard's schema as implemented by WVP-GB28181-pro-compatible stacks:
// CruiseTrackList/CruiseTrack{Number,Name} and
// CruisePointList/CruisePoint{PresetIndex,StayTime,Speed}.
//
// # PTZ commands
//
// [PTZCmd] is the 8-byte front-end command of Appendix A.3 carried in
// DeviceControl/PTZCmd as 16 hex digits; see ptzcmd.go for the layout.
package manscdp
