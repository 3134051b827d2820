#!/usr/bin/env bash
# Runs the media fan-out benchmark (bench/media): vionet serve as a child process, ffmpeg
# pushing a 4 Mbit/s H.264 test stream over RTMP, and N readers per protocol (RTSP over TCP,
# RTMP, HTTP-FLV) up a ladder, plus the start latency of a live and an on-demand path.
#
#   bash bench/media/run.sh [-ladder 1,50,100,200,400,800] [-protocols rtsp,rtmp,httpflv]
#                           [-window 10s] [-latency-runs 5] [-pprof DIR] [-work DIR]
#
# Needs ffmpeg and ffprobe (libx264) on PATH. The test file is encoded once into the work dir
# (default $TMPDIR/vionet-bench-media) and reused. Takes about 6–8 minutes with the defaults.
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in ffmpeg ffprobe go; do
	command -v "$tool" >/dev/null || { echo "bench/media: $tool not found on PATH" >&2; exit 1; }
done
go build -o "${TMPDIR:-/tmp}/vionet-bench-media-harness" ./bench/media
exec "${TMPDIR:-/tmp}/vionet-bench-media-harness" "$@"
