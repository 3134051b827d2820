// Package push delivers the subscription messages of the 视联网 北向接口规范 v1.3.1 (5.4) to the
// callback URL each tenant subscribed with 4.7.1.1.
//
// # Durability contract
//
// Pushes live in a durable outbox table owned by internal/store; this package only defines the
// [Outbox] port it needs. The producer writes an outbox row in the same database transaction as
// the domain change that causes the push (a device going offline, an alarm, a binding…), so a
// push exists if and only if the change was committed. The producer then calls
// [Dispatcher.Notify] as a hint; the row would be found by the next poll anyway.
//
// The [Dispatcher] never creates or edits message bodies: it claims due rows under a lease, POSTs
// the stored body byte for byte, and then only moves rows forward — delivered, rescheduled with
// exponential backoff, or dead-lettered once the retry window ([Config.MaxAge]) is exhausted. A
// dispatcher (or node) that crashes or shuts down mid-attempt records nothing; its lease lapses
// and the row becomes due again. No row is ever lost.
//
// Delivery is therefore at-least-once: a receiver may see the same message twice (its 200 got
// lost, the bookkeeping write failed, a lease lapsed under a slow attempt). Receivers should be
// idempotent, for instance by de-duplicating on the message content.
//
// # Wire format
//
// Each attempt is an HTTP POST with the headers Content-Type "application/json;charset=UTF-8",
// appId, timestamp (13-digit Unix milliseconds, taken per attempt) and sign =
// signing.Push(secret, appId, timestamp, body), the secret being looked up afresh for every
// attempt so that a rotated key takes effect immediately. The specification asks the tenant to
// answer 200; any 2xx counts as delivered, anything else (other status, redirect, timeout,
// connection error) as a failed attempt.
package push
