// Package httpflv serves hub streams as HTTP-FLV: one long GET whose body is
// an endless FLV stream (see package flv), the format flv.js/mpegts.js
// players and ffmpeg read with plain HTTP, CDN- and firewall-friendly.
//
// URL: GET /flv/<path>.flv?token=T, where <path> is the hub path (any
// number of segments) and T a token.Read token for exactly that path. The
// Handler expects the full URL path, so mount it at "/flv/" without
// http.StripPrefix.
//
// Responses: 401 for a refused token (logged and counted), 404 when the
// path has no publisher (after Options.Demand and Options.ReadWait when
// Demand is set) or no track FLV can carry, 503 when Demand fails or the
// Handler is closed, 405 for methods other than GET and HEAD. Otherwise
// 200 with Content-Type video/x-flv, Access-Control-Allow-Origin: * (web
// players on other origins fetch it) and no caching, sent with chunked
// transfer encoding; every tag is flushed as soon as it is written, so the
// player's latency is the hub's. The stream starts on the hub's cached
// keyframe and ends when the client goes away, the publisher closes, the
// client stalls longer than the write timeout, or Handler.Close is called.
package httpflv
