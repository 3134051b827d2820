package recorder

import "time"

// Media timestamps are stored in track ticks (90 kHz for video, the sample
// rate for audio). The conversions round to the nearest tick / nanosecond and
// split whole seconds off first so that long durations cannot overflow.

// toTicks converts d to ticks of a clock running at rate Hz.
func toTicks(d time.Duration, rate int64) int64 {
	if d < 0 {
		return -toTicks(-d, rate)
	}
	s, r := int64(d/time.Second), int64(d%time.Second)
	return s*rate + (r*rate+int64(time.Second)/2)/int64(time.Second)
}

// fromTicks converts t ticks of a clock running at rate Hz to a duration.
func fromTicks(t, rate int64) time.Duration {
	if rate <= 0 {
		return 0
	}
	if t < 0 {
		return -fromTicks(-t, rate)
	}
	s, r := t/rate, t%rate
	return time.Duration(s)*time.Second + time.Duration((r*int64(time.Second)+rate/2)/rate)
}
